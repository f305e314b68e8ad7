# Bucket versioning as boto3 sees it: Put/GetBucketVersioning, version ids on Put, Copy and
# CompleteMultipartUpload, GET/HEAD/DELETE by version id, delete markers, ListObjectVersions
# paged by key and version-id markers, Suspended (the "null" version), and a bucket that can be
# deleted once every version is gone. Run against thaw sim and moto alike.
#
#   versioning.py ENDPOINT
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from simclient import client, error_code  # noqa: E402

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print('FAIL', what)


def all_versions(s3, bucket, page_size=None):
    kwargs = {'Bucket': bucket}
    if page_size:
        kwargs['PaginationConfig'] = {'PageSize': page_size}
    versions, markers = [], []
    for page in s3.get_paginator('list_object_versions').paginate(**kwargs):
        versions += page.get('Versions', [])
        markers += page.get('DeleteMarkers', [])
    return versions, markers


def main():
    s3 = client(sys.argv[1])
    b = 'versioned'
    s3.create_bucket(Bucket=b)
    check('Status' not in s3.get_bucket_versioning(Bucket=b), 'new bucket has no versioning')
    # Before versioning: no version id.
    r = s3.put_object(Bucket=b, Key='plain', Body=b'p')
    check('VersionId' not in r, 'unversioned put has no version id: %r' % r.get('VersionId'))
    s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={'Status': 'Enabled'})
    check(s3.get_bucket_versioning(Bucket=b).get('Status') == 'Enabled', 'Status Enabled')

    v1 = s3.put_object(Bucket=b, Key='k', Body=b'one')['VersionId']
    v2 = s3.put_object(Bucket=b, Key='k', Body=b'two')['VersionId']
    check(v1 and v2 and v1 != v2, 'two puts, two version ids: %r %r' % (v1, v2))
    check(s3.get_object(Bucket=b, Key='k')['Body'].read() == b'two', 'current is v2')
    got = s3.get_object(Bucket=b, Key='k', VersionId=v1)
    check(got['Body'].read() == b'one' and got['VersionId'] == v1, 'GET v1 by id')
    check(s3.head_object(Bucket=b, Key='k', VersionId=v1)['ContentLength'] == 3, 'HEAD v1')
    code, status = error_code(s3.get_object, Bucket=b, Key='k',
                              VersionId='0123456789abcdef0123456789abcdef')
    check(status in (400, 404), 'unknown version id: %s %s' % (code, status))

    # Copy from a version.
    c = s3.copy_object(Bucket=b, Key='copy', CopySource={'Bucket': b, 'Key': 'k', 'VersionId': v1})
    check(c.get('CopySourceVersionId') == v1, 'CopySourceVersionId: %r' % c.get('CopySourceVersionId'))
    check(c.get('VersionId'), 'copy has a version id')
    check(s3.get_object(Bucket=b, Key='copy')['Body'].read() == b'one', 'copy holds v1')

    # Multipart.
    up = s3.create_multipart_upload(Bucket=b, Key='mp')['UploadId']
    etag = s3.upload_part(Bucket=b, Key='mp', UploadId=up, PartNumber=1, Body=b'm')['ETag']
    done = s3.complete_multipart_upload(Bucket=b, Key='mp', UploadId=up,
                                        MultipartUpload={'Parts': [{'PartNumber': 1,
                                                                    'ETag': etag}]})
    check(done.get('VersionId'), 'CompleteMultipartUpload has a version id')

    # Delete markers.
    d = s3.delete_object(Bucket=b, Key='k')
    check(d.get('DeleteMarker') is True and d.get('VersionId'), 'DELETE adds a marker: %r' % d)
    dm = d.get('VersionId')
    code, status = error_code(s3.get_object, Bucket=b, Key='k')
    check((code, status) == ('NoSuchKey', 404), 'GET after delete: %s %s' % (code, status))
    listed = [o['Key'] for o in s3.list_objects_v2(Bucket=b).get('Contents', [])]
    check('k' not in listed, 'deleted key not listed')
    versions, markers = all_versions(s3, b)
    mine = [(v['VersionId'], v['IsLatest']) for v in versions if v['Key'] == 'k']
    check(mine == [(v2, False), (v1, False)], 'versions of k newest first: %r' % mine)
    check([(m['VersionId'], m['IsLatest']) for m in markers] == [(dm, True)],
          'one latest marker: %r' % markers)
    plain = [v for v in versions if v['Key'] == 'plain']
    check(len(plain) == 1 and plain[0]['VersionId'] == 'null' and plain[0]['IsLatest'],
          'object from before versioning is the latest null version: %r' % plain)
    # Removing the marker brings v2 back.
    s3.delete_object(Bucket=b, Key='k', VersionId=dm)
    check(s3.get_object(Bucket=b, Key='k')['Body'].read() == b'two', 'v2 current again')
    # Removing the current version by id makes v1 current.
    s3.delete_object(Bucket=b, Key='k', VersionId=v2)
    check(s3.get_object(Bucket=b, Key='k')['Body'].read() == b'one', 'v1 current after v2 gone')

    # Paging: 4 keys x 3 versions, pages of 5 (cut inside a key's versions).
    for i in range(4):
        for j in range(3):
            s3.put_object(Bucket=b, Key='page/%d' % i, Body=b'%d' % j)
    whole, _ = all_versions(s3, b)
    paged, _ = all_versions(s3, b, page_size=5)
    ident = lambda vs: [(v['Key'], v['VersionId'], v['IsLatest']) for v in vs]  # noqa: E731
    check(ident(whole) == ident(paged), 'paged listing equals the whole one')
    check(len([v for v in whole if v['Key'].startswith('page/')]) == 12, '12 page versions')
    one = s3.list_object_versions(Bucket=b, Prefix='page/', MaxKeys=2)
    check(one['IsTruncated'] and one.get('NextKeyMarker') == 'page/0' and
          one.get('NextVersionIdMarker') == one['Versions'][1]['VersionId'],
          'markers of a truncated page: %r' % {k: one.get(k) for k in
                                              ('IsTruncated', 'NextKeyMarker',
                                               'NextVersionIdMarker')})

    # Suspended: new puts are the null version, replacing each other.
    s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={'Status': 'Suspended'})
    check(s3.get_bucket_versioning(Bucket=b).get('Status') == 'Suspended', 'Status Suspended')
    r1 = s3.put_object(Bucket=b, Key='s', Body=b'1')
    r2 = s3.put_object(Bucket=b, Key='s', Body=b'2')
    # S3 answers x-amz-version-id: null here; moto leaves the header out.
    check(r1.get('VersionId') in (None, 'null') and r2.get('VersionId') in (None, 'null'),
          'suspended puts are null: %r %r' % (r1.get('VersionId'), r2.get('VersionId')))
    versions, _ = all_versions(s3, b)
    check(len([v for v in versions if v['Key'] == 's']) == 1, 'one null version of s')

    # A bucket with versions left is not empty; once every version is deleted it is.
    code, status = error_code(s3.delete_bucket, Bucket=b)
    check((code, status) == ('BucketNotEmpty', 409), 'not empty: %s %s' % (code, status))
    versions, markers = all_versions(s3, b)
    objs = [{'Key': v['Key'], 'VersionId': v['VersionId']} for v in versions + markers]
    for i in range(0, len(objs), 1000):
        resp = s3.delete_objects(Bucket=b, Delete={'Objects': objs[i:i + 1000]})
        check(not resp.get('Errors'), 'DeleteObjects by version: %r' % resp.get('Errors'))
    versions, markers = all_versions(s3, b)
    check(not versions and not markers, 'nothing left: %r %r' % (versions, markers))
    s3.delete_bucket(Bucket=b)
    print('%d failures' % len(failures))
    sys.exit(1 if failures else 0)


if __name__ == '__main__':
    main()
