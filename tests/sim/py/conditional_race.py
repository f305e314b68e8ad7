# Conditional writes that race, as S3 answers them: of writers racing with If-None-Match: *
# exactly one wins, the others get 412 PreconditionFailed or 409 ConditionalRequestConflict; a
# CompleteMultipartUpload with If-None-Match: * whose key was written after the upload began is
# 409 ConditionalRequestConflict ("re-initiate the multipart upload"), one whose key existed
# before it began is 412.
#
#   conditional_race.py ENDPOINT [--moto]
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(__file__))
from simclient import check, client, error_code, finish  # noqa: E402


def one_part(s3, b, key, body):
    up = s3.create_multipart_upload(Bucket=b, Key=key)['UploadId']
    etag = s3.upload_part(Bucket=b, Key=key, UploadId=up, PartNumber=1, Body=body)['ETag']
    return up, [{'PartNumber': 1, 'ETag': etag}]


def complete(s3, b, key, up, parts):
    return error_code(s3.complete_multipart_upload, Bucket=b, Key=key, UploadId=up,
                      MultipartUpload={'Parts': parts}, IfNoneMatch='*')


def main():
    endpoint = sys.argv[1]
    moto = '--moto' in sys.argv[2:]
    s3 = client(endpoint)
    b = 'race-bucket'
    s3.create_bucket(Bucket=b)

    # Two uploads of one key, completed one after the other.
    a_up, a_parts = one_part(s3, b, 'mp', b'first')
    b_up, b_parts = one_part(s3, b, 'mp', b'second')
    check(complete(s3, b, 'mp', a_up, a_parts)[1] == 200, 'the first completion wins')
    code, status = complete(s3, b, 'mp', b_up, b_parts)
    want = ('PreconditionFailed', 412) if moto else ('ConditionalRequestConflict', 409)
    # moto 5 answers 412: it has no notion of a write during the upload
    check((code, status) == want, 'completion after a write during the upload: %s %s'
          % (code, status))
    check(s3.get_object(Bucket=b, Key='mp')['Body'].read() == b'first', 'the winner stays')
    if not moto:
        s3.abort_multipart_upload(Bucket=b, Key='mp', UploadId=b_up)
    c_up, c_parts = one_part(s3, b, 'mp', b'third')
    code, status = complete(s3, b, 'mp', c_up, c_parts)
    check((code, status) == ('PreconditionFailed', 412),
          'an upload begun after the key existed: %s %s' % (code, status))
    s3.abort_multipart_upload(Bucket=b, Key='mp', UploadId=c_up)

    # Eight PutObject If-None-Match: * racing for one key: exactly one wins.
    results = [None] * 8
    clients = [client(endpoint) for _ in results]
    start = threading.Barrier(len(results))

    def put(i):
        start.wait()
        results[i] = error_code(clients[i].put_object, Bucket=b, Key='put-race',
                                Body=b'writer %d' % i, IfNoneMatch='*')
    threads = [threading.Thread(target=put, args=(i,)) for i in range(len(results))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [i for i, r in enumerate(results) if r[1] == 200]
    losers = [r for r in results if r[1] != 200]
    check(len(winners) == 1, 'exactly one racing writer wins: %r' % results)
    check(all(r in (('PreconditionFailed', 412), ('ConditionalRequestConflict', 409))
              for r in losers), 'the others get 412 or 409: %r' % losers)
    if len(winners) == 1:
        body = s3.get_object(Bucket=b, Key='put-race')['Body'].read()
        check(body == b'writer %d' % winners[0], 'the winner\'s bytes: %r' % body)
    for k in ('mp', 'put-race'):
        s3.delete_object(Bucket=b, Key=k)
    s3.delete_bucket(Bucket=b)
    finish()


if __name__ == '__main__':
    main()
