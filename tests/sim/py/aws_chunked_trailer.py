# Uploads in the form current botocore sends to AWS by default: an aws-chunked body (the
# Content-Encoding header), `x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER` and the checksum in a trailer
# (x-amz-trailer). botocore uses that form only over https; the sim serves http, so the scheme
# check is made to see https. Everything else, the chunk encoder included, is botocore's own.
# CRC32C and CRC64NVME need awscrt, which this machine's boto3 lacks: CRC32, SHA1 and SHA256 here.
import io
import sys

import botocore.httpchecksum as httpchecksum

from simclient import client, error_code

real_urlparse = httpchecksum.urlparse
httpchecksum.urlparse = lambda url, *a: real_urlparse(url.replace('http://', 'https://', 1), *a)

ep = sys.argv[1]
s3 = client(ep)
s3.create_bucket(Bucket='trailers')
sent = {}
s3.meta.events.register('before-send.s3.*', lambda request, **kw: sent.update(request.headers))
data = bytes(range(256)) * 5000 + b'tail'  # 1.28 MB: several chunks
for algo in ['CRC32', 'SHA1', 'SHA256']:
    r = s3.put_object(Bucket='trailers', Key=algo, Body=io.BytesIO(data), ChecksumAlgorithm=algo)
    assert sent.get('Content-Encoding') == b'aws-chunked', sent
    assert sent.get('X-Amz-Content-SHA256') == b'STREAMING-UNSIGNED-PAYLOAD-TRAILER', sent
    assert sent.get('X-Amz-Trailer') == b'x-amz-checksum-' + algo.lower().encode(), sent
    h = s3.head_object(Bucket='trailers', Key=algo, ChecksumMode='ENABLED')
    assert h['Checksum' + algo] == r['Checksum' + algo], (h, r)
    assert h['ContentLength'] == len(data), h
    assert s3.get_object(Bucket='trailers', Key=algo)['Body'].read() == data

# A multipart part in the same form.
up = s3.create_multipart_upload(Bucket='trailers', Key='mp', ChecksumAlgorithm='CRC32')
part = s3.upload_part(Bucket='trailers', Key='mp', UploadId=up['UploadId'], PartNumber=1,
                      Body=io.BytesIO(data), ChecksumAlgorithm='CRC32')
assert sent.get('X-Amz-Trailer') == b'x-amz-checksum-crc32', sent
s3.complete_multipart_upload(Bucket='trailers', Key='mp', UploadId=up['UploadId'],
                             MultipartUpload={'Parts': [{'PartNumber': 1, 'ETag': part['ETag'],
                                                         'ChecksumCRC32': part['ChecksumCRC32']}]})
assert s3.get_object(Bucket='trailers', Key='mp')['Body'].read() == data

# A wrong secret is still refused: the headers are signed even when the payload is not.
bad = client(ep, secret='wrong')
assert error_code(bad.put_object, Bucket='trailers', Key='x', Body=io.BytesIO(data),
                  ChecksumAlgorithm='CRC32')[0] == 'SignatureDoesNotMatch'

# A trailer that does not match the body is refused and nothing is stored.
real_digest = httpchecksum.Crc32Checksum.digest
httpchecksum.Crc32Checksum.digest = lambda self: b'\0\0\0\0'
got = error_code(s3.put_object, Bucket='trailers', Key='tampered', Body=io.BytesIO(data),
                 ChecksumAlgorithm='CRC32')
httpchecksum.Crc32Checksum.digest = real_digest
assert sent.get('X-Amz-Trailer') == b'x-amz-checksum-crc32', sent
assert got[0] == 'BadDigest', got
assert error_code(s3.head_object, Bucket='trailers', Key='tampered')[1] == 404
print('ok')
