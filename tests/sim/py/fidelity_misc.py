# Smaller S3 behaviours clients rely on, checked the same way on thaw sim and on moto:
# response-* overrides on GET, ListBuckets paging (max-buckets, continuation-token, prefix),
# conditional writes (If-None-Match: * and If-Match on PutObject and CompleteMultipartUpload),
# GetObjectAttributes, copy-source conditionals, and the DeleteObjects limit of 1,000 keys.
#
#   fidelity_misc.py ENDPOINT [--moto]
#
# --moto skips what moto_server does not implement (each place says what).
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from simclient import client, error_code  # noqa: E402

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print('FAIL', what)


def response_overrides(s3, b):
    got = s3.get_object(Bucket=b, Key='doc', ResponseContentType='application/x-thaw',
                        ResponseContentDisposition='attachment; filename="d.txt"',
                        ResponseCacheControl='no-cache', ResponseContentLanguage='fr')
    check(got['ContentType'] == 'application/x-thaw',
          'response-content-type: %r' % got['ContentType'])
    check(got.get('ContentDisposition') == 'attachment; filename="d.txt"',
          'response-content-disposition: %r' % got.get('ContentDisposition'))
    check(got.get('CacheControl') == 'no-cache', 'response-cache-control')
    check(got.get('ContentLanguage') == 'fr', 'response-content-language')
    check(s3.get_object(Bucket=b, Key='doc')['ContentType'] == 'text/plain',
          'the stored type is unchanged')


def list_buckets_paging(s3, b):
    names = ['page-%02d' % i for i in range(5)]
    for n in names:
        s3.create_bucket(Bucket=n)
    seen, token, pages = [], None, 0
    while True:
        kwargs = {'MaxBuckets': 2, 'Prefix': 'page-'}
        if token:
            kwargs['ContinuationToken'] = token
        page = s3.list_buckets(**kwargs)
        pages += 1
        seen += [x['Name'] for x in page['Buckets']]
        token = page.get('ContinuationToken')
        if not token or pages > 10:
            break
    check(seen == names, 'paged ListBuckets: %r' % seen)
    check(pages == 3, 'three pages of two: %d' % pages)
    everything = [x['Name'] for x in s3.list_buckets()['Buckets']]
    check(set(names + [b]) <= set(everything), 'unpaged ListBuckets lists all')
    for n in names:
        s3.delete_bucket(Bucket=n)


def conditional_writes(s3, b, moto):
    code, status = error_code(s3.put_object, Bucket=b, Key='doc', Body=b'x', IfNoneMatch='*')
    check((code, status) == ('PreconditionFailed', 412),
          'If-None-Match * on an existing key: %s %s' % (code, status))
    code, status = error_code(s3.put_object, Bucket=b, Key='new', Body=b'x', IfNoneMatch='*')
    check(status == 200, 'If-None-Match * on a new key: %s %s' % (code, status))
    etag = s3.head_object(Bucket=b, Key='doc')['ETag']
    if not moto:  # moto 5 ignores If-Match on PutObject
        code, status = error_code(s3.put_object, Bucket=b, Key='doc', Body=b'x',
                                  IfMatch='"0123456789abcdef0123456789abcdef"')
        check((code, status) == ('PreconditionFailed', 412),
              'If-Match of another ETag: %s %s' % (code, status))
        code, status = error_code(s3.put_object, Bucket=b, Key='absent', Body=b'x', IfMatch=etag)
        check((code, status) == ('NoSuchKey', 404),
              'If-Match of a missing key: %s %s' % (code, status))
    code, status = error_code(s3.put_object, Bucket=b, Key='doc', Body=b'v2', IfMatch=etag)
    check(status == 200, 'If-Match of the current ETag: %s %s' % (code, status))
    up = s3.create_multipart_upload(Bucket=b, Key='doc')['UploadId']
    part = s3.upload_part(Bucket=b, Key='doc', UploadId=up, PartNumber=1, Body=b'p')['ETag']
    code, status = error_code(s3.complete_multipart_upload, Bucket=b, Key='doc', UploadId=up,
                              MultipartUpload={'Parts': [{'PartNumber': 1, 'ETag': part}]},
                              IfNoneMatch='*')
    check((code, status) == ('PreconditionFailed', 412),
          'CompleteMultipartUpload If-None-Match * on an existing key: %s %s' % (code, status))
    s3.abort_multipart_upload(Bucket=b, Key='doc', UploadId=up)


def object_attributes(s3, b, moto):
    put = s3.put_object(Bucket=b, Key='attr', Body=b'attributes', ChecksumAlgorithm='SHA256')
    a = s3.get_object_attributes(Bucket=b, Key='attr', ObjectAttributes=[
        'ETag', 'Checksum', 'ObjectParts', 'StorageClass', 'ObjectSize'])
    check(a.get('ETag') == put['ETag'].strip('"'), 'attributes ETag: %r' % a.get('ETag'))
    check(a.get('ObjectSize') == 10, 'attributes ObjectSize: %r' % a.get('ObjectSize'))
    check(a.get('StorageClass') == 'STANDARD', 'attributes StorageClass')
    check(a.get('Checksum', {}).get('ChecksumSHA256') == put.get('ChecksumSHA256'),
          'attributes Checksum: %r' % a.get('Checksum'))
    check('ObjectParts' not in a, 'no parts for a single PUT: %r' % a.get('ObjectParts'))
    up = s3.create_multipart_upload(Bucket=b, Key='attr-mp')['UploadId']
    parts = []
    for n, body in ((1, b'a' * (5 << 20)), (2, b'b')):
        etag = s3.upload_part(Bucket=b, Key='attr-mp', UploadId=up, PartNumber=n,
                              Body=body)['ETag']
        parts.append({'PartNumber': n, 'ETag': etag})
    s3.complete_multipart_upload(Bucket=b, Key='attr-mp', UploadId=up,
                                 MultipartUpload={'Parts': parts})
    a = s3.get_object_attributes(Bucket=b, Key='attr-mp', ObjectAttributes=['ObjectParts',
                                                                           'ObjectSize'])
    check(moto or a.get('ObjectParts', {}).get('TotalPartsCount') == 2,  # moto 5 omits it
          'TotalPartsCount: %r' % a.get('ObjectParts'))
    check(a.get('ObjectSize') == (5 << 20) + 1, 'multipart ObjectSize')
    for k in ('attr', 'attr-mp'):
        s3.delete_object(Bucket=b, Key=k)


def copy_source_conditions(s3, b, moto):
    etag = s3.head_object(Bucket=b, Key='doc')['ETag']
    src = {'Bucket': b, 'Key': 'doc'}
    other = '"0123456789abcdef0123456789abcdef"'
    for kwargs, want in (({'CopySourceIfMatch': other}, 412),
                         ({'CopySourceIfNoneMatch': etag}, 412),
                         ({'CopySourceIfMatch': etag}, 200),
                         ({'CopySourceIfNoneMatch': other}, 200)):
        if moto and kwargs.get('CopySourceIfMatch') == other:
            continue  # moto 5 ignores a failing x-amz-copy-source-if-match
        code, status = error_code(s3.copy_object, Bucket=b, Key='copied', CopySource=src,
                                  **kwargs)
        check(status == want, 'copy with %r: %s %s' % (kwargs, code, status))
    s3.delete_object(Bucket=b, Key='copied')


def main():
    s3 = client(sys.argv[1])
    moto = '--moto' in sys.argv[2:]
    b = 'misc-bucket'
    s3.create_bucket(Bucket=b)
    s3.put_object(Bucket=b, Key='doc', Body=b'hello', ContentType='text/plain')
    if not moto:  # moto 5 ignores response-* parameters
        response_overrides(s3, b)
    if not moto:  # moto 5 returns the first page with no ContinuationToken
        list_buckets_paging(s3, b)
    conditional_writes(s3, b, moto)
    object_attributes(s3, b, moto)
    copy_source_conditions(s3, b, moto)
    if not moto:  # moto 5 deletes any number of keys
        code, status = error_code(s3.delete_objects, Bucket=b,
                                  Delete={'Objects': [{'Key': 'k%d' % i} for i in range(1001)]})
        check((code, status) == ('MalformedXML', 400), '1,001 keys: %s %s' % (code, status))
    for k in ('doc', 'new'):
        s3.delete_object(Bucket=b, Key=k)
    s3.delete_bucket(Bucket=b)
    print('%d failures' % len(failures))
    sys.exit(1 if failures else 0)


if __name__ == '__main__':
    main()
