# More S3 behaviours clients rely on, checked the same way on thaw sim and on moto:
# GET/HEAD with partNumber (a part's bytes and x-amz-mp-parts-count; 416 InvalidPartNumber past
# the last part), ListObjectVersions with prefix and delimiter (CommonPrefixes), paged,
# x-amz-expected-bucket-owner, UTF-8 user metadata as RFC 2047 encoded-words (botocore refuses
# raw non-ASCII header values), and anonymous requests (404 for a missing bucket, else 403).
#
#   fidelity_more.py ENDPOINT [--moto]
#
# --moto skips what moto_server does not implement (each place says what).
import email.header
import os
import sys
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from simclient import check, client, error_code, finish  # noqa: E402

MIB = 1 << 20


def part_numbers(s3, b, moto):
    up = s3.create_multipart_upload(Bucket=b, Key='mp')['UploadId']
    bodies = [b'a' * (5 * MIB), b'b' * (5 * MIB + 7), b'tail']
    parts = []
    for n, body in enumerate(bodies, 1):
        etag = s3.upload_part(Bucket=b, Key='mp', UploadId=up, PartNumber=n, Body=body)['ETag']
        parts.append({'PartNumber': n, 'ETag': etag})
    s3.complete_multipart_upload(Bucket=b, Key='mp', UploadId=up,
                                 MultipartUpload={'Parts': parts})
    total = sum(len(x) for x in bodies)
    offset = 0
    for n, body in enumerate(bodies, 1):
        h = s3.head_object(Bucket=b, Key='mp', PartNumber=n)
        check(h['ContentLength'] == len(body), 'HEAD part %d size: %r' % (n, h['ContentLength']))
        check(h.get('PartsCount') == 3, 'HEAD part %d x-amz-mp-parts-count: %r'
              % (n, h.get('PartsCount')))
        if not moto:  # moto 5 answers GET ?partNumber with the whole object, and HEAD 200
            check(h['ResponseMetadata']['HTTPStatusCode'] == 206, 'HEAD part %d is 206' % n)
            g = s3.get_object(Bucket=b, Key='mp', PartNumber=n)
            data = g['Body'].read()
            check(data == body, 'GET part %d bytes (%d of %d)' % (n, len(data), len(body)))
            want = 'bytes %d-%d/%d' % (offset, offset + len(body) - 1, total)
            check(g.get('ContentRange') == want, 'GET part %d Content-Range: %r, want %r'
                  % (n, g.get('ContentRange'), want))
            check(g.get('PartsCount') == 3, 'GET part %d PartsCount' % n)
        offset += len(body)
    check('PartsCount' not in s3.head_object(Bucket=b, Key='mp'),
          'no parts count without partNumber')
    if not moto:  # moto 5: HEAD is 500, GET the whole object
        code, status = error_code(s3.get_object, Bucket=b, Key='mp', PartNumber=4)
        check((code, status) == ('InvalidPartNumber', 416), 'GET part 4 of 3: %s %s'
              % (code, status))
        code, status = error_code(s3.head_object, Bucket=b, Key='mp', PartNumber=4)
        check(status == 416, 'HEAD part 4 of 3: %s %s' % (code, status))
        code, status = error_code(s3.get_object, Bucket=b, Key='mp', PartNumber=1,
                                  Range='bytes=0-1')
        check((code, status) == ('InvalidRequest', 400), 'Range with partNumber: %s %s'
              % (code, status))
    # An object not uploaded in parts has one part: the whole object.
    s3.put_object(Bucket=b, Key='single', Body=b'hello')
    g = s3.get_object(Bucket=b, Key='single', PartNumber=1)
    check(g['Body'].read() == b'hello', 'part 1 of a single PUT is the object')
    check(g.get('ContentRange') == 'bytes 0-4/5', 'single Content-Range: %r'
          % g.get('ContentRange'))
    check('PartsCount' not in g, 'no parts count for a single PUT: %r' % g.get('PartsCount'))
    code, status = error_code(s3.get_object, Bucket=b, Key='single', PartNumber=2)
    check(status == 416, 'part 2 of a single PUT: %s %s' % (code, status))
    for k in ('mp', 'single'):
        s3.delete_object(Bucket=b, Key=k)


def versions_with_delimiter(s3, moto):
    b = 'versions-delim'
    s3.create_bucket(Bucket=b)
    s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={'Status': 'Enabled'})
    keys = ['a/1', 'a/2', 'b/x/1', 'b/y', 'top', 'zz/1']
    for k in keys:
        s3.put_object(Bucket=b, Key=k, Body=b'1')
        s3.put_object(Bucket=b, Key=k, Body=b'2')
    s3.delete_object(Bucket=b, Key='top')  # a delete marker
    r = s3.list_object_versions(Bucket=b, Delimiter='/')
    prefixes = [p['Prefix'] for p in r.get('CommonPrefixes', [])]
    check(prefixes == ['a/', 'b/', 'zz/'], 'CommonPrefixes: %r' % prefixes)
    check([v['Key'] for v in r.get('Versions', [])] == ['top', 'top'],
          'versions at the top: %r' % [v['Key'] for v in r.get('Versions', [])])
    check([m['Key'] for m in r.get('DeleteMarkers', [])] == ['top'], 'marker at the top')
    check(r.get('Delimiter') == '/', 'Delimiter echoed: %r' % r.get('Delimiter'))
    r = s3.list_object_versions(Bucket=b, Prefix='b/', Delimiter='/')
    check([p['Prefix'] for p in r.get('CommonPrefixes', [])] == ['b/x/'],
          'CommonPrefixes under b/: %r' % r.get('CommonPrefixes'))
    check([v['Key'] for v in r.get('Versions', [])] == ['b/y', 'b/y'], 'versions under b/')
    # Paged: every entry (a version, a marker or a prefix) counts once.
    seen_prefixes, seen_versions, pages = [], [], 0
    for page in s3.get_paginator('list_object_versions').paginate(
            Bucket=b, Delimiter='/', PaginationConfig={'PageSize': 2}):
        pages += 1
        seen_prefixes += [p['Prefix'] for p in page.get('CommonPrefixes', [])]
        seen_versions += [v['Key'] for v in page.get('Versions', []) + page.get('DeleteMarkers', [])]
        if pages > 10:
            break
    check(seen_prefixes == ['a/', 'b/', 'zz/'], 'paged CommonPrefixes: %r' % seen_prefixes)
    check(sorted(seen_versions) == ['top'] * 3, 'paged versions: %r' % seen_versions)
    if not moto:  # moto 5 pages a delimited version listing by versions, not entries
        check(pages == 3, 'six entries in pages of two: %d pages' % pages)
    versions = s3.list_object_versions(Bucket=b)
    for v in versions.get('Versions', []) + versions.get('DeleteMarkers', []):
        s3.delete_object(Bucket=b, Key=v['Key'], VersionId=v['VersionId'])
    s3.delete_bucket(Bucket=b)


def expected_owner(s3, b, endpoint):
    import boto3
    sts = boto3.client('sts', endpoint_url=endpoint, region_name='us-east-1',
                       aws_access_key_id='testing', aws_secret_access_key='testing')
    account = sts.get_caller_identity()['Account']
    s3.put_object(Bucket=b, Key='owned', Body=b'o')
    check(error_code(s3.head_bucket, Bucket=b, ExpectedBucketOwner=account)[1] == 200,
          'the right owner passes')
    check(error_code(s3.get_object, Bucket=b, Key='owned', ExpectedBucketOwner=account)[1] == 200,
          'the right owner passes GetObject')
    other = '111122223333' if account != '111122223333' else '444455556666'
    for name, fn, kwargs in (
            ('HeadBucket', s3.head_bucket, {}),
            ('GetObject', s3.get_object, {'Key': 'owned'}),
            ('PutObject', s3.put_object, {'Key': 'owned', 'Body': b'x'}),
            ('ListObjectsV2', s3.list_objects_v2, {})):
        code, status = error_code(fn, Bucket=b, ExpectedBucketOwner=other, **kwargs)
        check(status == 403 and code in ('AccessDenied', '403'),
              '%s for another owner: %s %s' % (name, code, status))
    code, status = error_code(s3.copy_object, Bucket=b, Key='copy',
                              CopySource={'Bucket': b, 'Key': 'owned'},
                              ExpectedSourceBucketOwner=other)
    check((code, status) == ('AccessDenied', 403), 'copy from another owner: %s %s'
          % (code, status))
    check(s3.get_object(Bucket=b, Key='owned')['Body'].read() == b'o', 'object unchanged')
    s3.delete_object(Bucket=b, Key='owned')


def utf8_metadata(s3, b):
    text = 'café ☃ 東京'
    b64 = email.header.Header(text, 'utf-8').encode()          # =?utf-8?b?...?=
    q = '=?utf-8?q?na=C3=AFve?='
    s3.put_object(Bucket=b, Key='meta', Body=b'x', Metadata={'b': b64, 'q': q, 'plain': 'ascii'})
    for name, meta in (('HEAD', s3.head_object(Bucket=b, Key='meta')['Metadata']),
                       ('GET', s3.get_object(Bucket=b, Key='meta')['Metadata'])):
        got = {k: str(email.header.make_header(email.header.decode_header(v)))
               for k, v in meta.items()}
        check(got.get('b') == text, '%s B-encoded value: %r' % (name, meta.get('b')))
        check(got.get('q') == 'naïve', '%s Q-encoded value: %r' % (name, meta.get('q')))
        check(meta.get('plain') == 'ascii', '%s plain value: %r' % (name, meta.get('plain')))
    s3.delete_object(Bucket=b, Key='meta')


def anonymous(endpoint, b):
    def status(url):
        try:
            return urllib.request.urlopen(url).status, ''
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()
    code, body = status(endpoint + '/no-such-bucket-here/key')
    check(code == 404 and '<Code>NoSuchBucket</Code>' in body,
          'anonymous GET in a missing bucket: %s %s' % (code, body[:200]))
    code, body = status(endpoint + '/no-such-bucket-here')
    check(code == 404 and '<Code>NoSuchBucket</Code>' in body,
          'anonymous listing of a missing bucket: %s' % code)
    code, body = status(endpoint + '/' + b + '/key')
    check(code == 403 and '<Code>AccessDenied</Code>' in body,
          'anonymous GET in an existing bucket: %s %s' % (code, body[:200]))
    code, body = status(endpoint + '/')
    check(code == 403 and '<Code>AccessDenied</Code>' in body,
          'anonymous ListBuckets: %s %s' % (code, body[:200]))


def main():
    endpoint = sys.argv[1]
    s3 = client(endpoint)
    moto = '--moto' in sys.argv[2:]
    b = 'more-bucket'
    s3.create_bucket(Bucket=b)
    part_numbers(s3, b, moto)
    versions_with_delimiter(s3, moto)
    if not moto:  # moto 5 ignores x-amz-expected-bucket-owner
        expected_owner(s3, b, endpoint)
    utf8_metadata(s3, b)
    if not moto:  # moto_server serves anonymous requests
        anonymous(endpoint, b)
    s3.delete_bucket(Bucket=b)
    finish()


if __name__ == '__main__':
    main()
