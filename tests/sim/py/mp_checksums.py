# Multipart checksums as S3 documents them, checked on thaw sim and moto: composite checksums
# (CRC32, SHA1, SHA256: the checksum of the parts' checksums, "-N") and full-object CRC32
# (x-amz-checksum-type FULL_OBJECT), part checksums checked by CompleteMultipartUpload, and
# GetObjectAttributes / HEAD showing them. (CRC32C and CRC64NVME need awscrt, which botocore
# here lacks.)
#
#   mp_checksums.py ENDPOINT [--moto]
import base64
import hashlib
import os
import sys
import zlib

sys.path.insert(0, os.path.dirname(__file__))
from simclient import check, client, error_code, finish  # noqa: E402

BODIES = [b'a' * (5 << 20), b'the tail']


def raw(algo, data):
    if algo == 'CRC32':
        return (zlib.crc32(data) & 0xffffffff).to_bytes(4, 'big')
    return hashlib.new(algo.lower(), data).digest()


def b64(data):
    return base64.b64encode(data).decode()


def upload(s3, b, key, algo, checksum_type=None, part_sums=None):
    kwargs = {'ChecksumType': checksum_type} if checksum_type else {}
    up = s3.create_multipart_upload(Bucket=b, Key=key, ChecksumAlgorithm=algo, **kwargs)
    parts = []
    for n, body in enumerate(BODIES, 1):
        r = s3.upload_part(Bucket=b, Key=key, UploadId=up['UploadId'], PartNumber=n, Body=body,
                           ChecksumAlgorithm=algo)
        part = {'PartNumber': n, 'ETag': r['ETag'], 'Checksum' + algo: r.get('Checksum' + algo)}
        if part_sums:
            part['Checksum' + algo] = part_sums[n - 1]
        parts.append(part)
    return up, parts


def composite(s3, b, algo, moto):
    key = 'composite-' + algo
    up, parts = upload(s3, b, key, algo)
    check(up.get('ChecksumAlgorithm') == algo, '%s: Create answers the algorithm' % algo)
    want = b64(raw(algo, b''.join(raw(algo, x) for x in BODIES))) + '-2'
    for n, part in enumerate(parts):
        check(part['Checksum' + algo] == b64(raw(algo, BODIES[n])),
              '%s: part %d checksum' % (algo, n + 1))
    done = s3.complete_multipart_upload(Bucket=b, Key=key, UploadId=up['UploadId'],
                                        MultipartUpload={'Parts': parts})
    got = s3.get_object(Bucket=b, Key=key, ChecksumMode='ENABLED')['Body'].read()
    check(got == b''.join(BODIES), '%s GET body' % algo)
    if moto:  # moto 5 answers no checksum here, and later one without the "-N" of a composite
        s3.delete_object(Bucket=b, Key=key)
        return
    check(done.get('Checksum' + algo) == want, '%s composite: %r, want %r'
          % (algo, done.get('Checksum' + algo), want))
    check(done.get('ChecksumType') == 'COMPOSITE', '%s ChecksumType: %r'
          % (algo, done.get('ChecksumType')))
    head = s3.head_object(Bucket=b, Key=key, ChecksumMode='ENABLED')
    check(head.get('Checksum' + algo) == want, '%s HEAD checksum: %r'
          % (algo, head.get('Checksum' + algo)))
    a = s3.get_object_attributes(Bucket=b, Key=key, ObjectAttributes=['Checksum', 'ObjectParts'])
    check(a.get('Checksum', {}).get('Checksum' + algo) == want, '%s attributes Checksum: %r'
          % (algo, a.get('Checksum')))
    check(a.get('Checksum', {}).get('ChecksumType') == 'COMPOSITE',
          '%s attributes ChecksumType' % algo)
    listed = [(p['PartNumber'], p['Size'], p.get('Checksum' + algo))
              for p in a.get('ObjectParts', {}).get('Parts', [])]
    check(listed == [(n, len(x), b64(raw(algo, x))) for n, x in enumerate(BODIES, 1)],
          '%s attributes Parts: %r' % (algo, listed))
    # The part list pages: one part at a time, the marker naming the last one given.
    pages = []
    marker = 0
    while True:
        a = s3.get_object_attributes(Bucket=b, Key=key, ObjectAttributes=['ObjectParts'],
                                     MaxParts=1, PartNumberMarker=marker)
        op = a.get('ObjectParts', {})
        pages.append([p['PartNumber'] for p in op.get('Parts', [])])
        if not op.get('IsTruncated') or len(pages) > len(BODIES):
            break
        marker = op['NextPartNumberMarker']
    check(pages == [[n] for n in range(1, len(BODIES) + 1)], '%s attribute pages: %r'
          % (algo, pages))
    s3.delete_object(Bucket=b, Key=key)


def full_object(s3, b, moto):
    key = 'full-crc32'
    whole = b''.join(BODIES)
    want = b64(raw('CRC32', whole))
    up, parts = upload(s3, b, key, 'CRC32', 'FULL_OBJECT')
    done = s3.complete_multipart_upload(Bucket=b, Key=key, UploadId=up['UploadId'],
                                        MultipartUpload={'Parts': parts},
                                        ChecksumCRC32=want, ChecksumType='FULL_OBJECT')
    if not moto:  # moto 5 answers no checksum to CompleteMultipartUpload
        check(done.get('ChecksumCRC32') == want, 'full-object CRC32: %r, want %r'
              % (done.get('ChecksumCRC32'), want))
        check(done.get('ChecksumType') == 'FULL_OBJECT', 'full-object ChecksumType')
    # botocore validates a full-object checksum on GET: it must be the body's.
    g = s3.get_object(Bucket=b, Key=key, ChecksumMode='ENABLED')
    check(g['Body'].read() == whole and g.get('ChecksumCRC32') == want, 'validated GET')
    s3.delete_object(Bucket=b, Key=key)
    if moto:  # moto 5 accepts wrong checksums and SHA256 full-object uploads
        return
    up, parts = upload(s3, b, key, 'CRC32', 'FULL_OBJECT')
    code, status = error_code(s3.complete_multipart_upload, Bucket=b, Key=key,
                              UploadId=up['UploadId'], MultipartUpload={'Parts': parts},
                              ChecksumCRC32=b64(raw('CRC32', b'other')),
                              ChecksumType='FULL_OBJECT')
    check((code, status) == ('BadDigest', 400), 'wrong full-object checksum: %s %s'
          % (code, status))
    s3.abort_multipart_upload(Bucket=b, Key=key, UploadId=up['UploadId'])
    code, status = error_code(s3.create_multipart_upload, Bucket=b, Key=key,
                              ChecksumAlgorithm='SHA256', ChecksumType='FULL_OBJECT')
    check((code, status) == ('InvalidRequest', 400), 'SHA256 FULL_OBJECT: %s %s'
          % (code, status))


def wrong_part_checksum(s3, b):
    key = 'wrong-part'
    up, parts = upload(s3, b, key, 'SHA256')
    parts[1]['ChecksumSHA256'] = b64(raw('SHA256', b'not the tail'))
    code, status = error_code(s3.complete_multipart_upload, Bucket=b, Key=key,
                              UploadId=up['UploadId'], MultipartUpload={'Parts': parts})
    check((code, status) == ('InvalidPart', 400), 'a wrong part checksum: %s %s'
          % (code, status))
    s3.abort_multipart_upload(Bucket=b, Key=key, UploadId=up['UploadId'])


def main():
    s3 = client(sys.argv[1])
    moto = '--moto' in sys.argv[2:]
    b = 'checksum-bucket'
    s3.create_bucket(Bucket=b)
    for algo in ('CRC32', 'SHA1', 'SHA256'):
        composite(s3, b, algo, moto)
    full_object(s3, b, moto)
    if not moto:  # moto 5 does not check part checksums
        wrong_part_checksum(s3, b)
    s3.delete_bucket(Bucket=b)
    finish()


if __name__ == '__main__':
    main()
