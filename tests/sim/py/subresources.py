# Walks every operation of S3's API as botocore's model defines it (method + request URI with
# its sub-resource), sends it as a signed raw request to thaw sim, and checks that the sim
# either implements it or answers 501 NotImplemented naming that very operation: never another
# operation's answer. With a moto endpoint as second argument, every operation the sim
# implements must get the same HTTP status from both for the same request on the same state.
#
#   subresources.py SIM_ENDPOINT [MOTO_ENDPOINT]
import gzip
import json
import os
import sys
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

import botocore

sys.path.insert(0, os.path.dirname(__file__))
from simclient import client, signed_request  # noqa: E402

# The operations thaw sim implements (one line per operation, as Service::Dispatch).
IMPLEMENTED = {
    'ListBuckets', 'CreateBucket', 'HeadBucket', 'DeleteBucket', 'GetBucketLocation',
    'GetBucketVersioning', 'ListObjects', 'ListObjectsV2', 'ListMultipartUploads',
    'PutObject', 'GetObject', 'HeadObject', 'DeleteObject', 'DeleteObjects', 'CopyObject',
    'CreateMultipartUpload', 'UploadPart', 'UploadPartCopy', 'CompleteMultipartUpload',
    'AbortMultipartUpload', 'ListParts', 'RestoreObject', 'PutBucketLifecycleConfiguration',
    'GetBucketLifecycleConfiguration', 'DeleteBucketLifecycle', 'PutBucketVersioning',
    'ListObjectVersions', 'GetObjectAttributes', 'PutBucketRequestPayment',
    'GetBucketRequestPayment', 'PutBucketInventoryConfiguration',
    'GetBucketInventoryConfiguration', 'ListBucketInventoryConfigurations',
    'DeleteBucketInventoryConfiguration',
}
# Where moto's status is not S3's, so the comparison would test moto: shown, not failed.
MOTO_DIFFERS = {
    # CreateBucket of a bucket one owns: moto 200 (S3's us-east-1 legacy answer), the sim 409
    # BucketAlreadyOwnedByYou (S3's answer in every other region).
    'CreateBucket',
    # An empty VersioningConfiguration body: moto 404, S3 400 MalformedXML.
    'PutBucketVersioning',
    # An empty RequestPaymentConfiguration body: moto 200, S3 400 MalformedXML.
    'PutBucketRequestPayment',
    # DELETE ?inventory without an id: moto routes it to DeleteBucket (409 BucketNotEmpty), S3
    # answers 400 for the missing id.
    'DeleteBucketInventoryConfiguration',
}
# Operations of the model that are aliases of another one on the same request (the deprecated
# GetBucketLifecycle is GetBucketLifecycleConfiguration on the wire).
ALIASES = {
    'GetBucketLifecycle': 'GetBucketLifecycleConfiguration',
    'PutBucketLifecycle': 'PutBucketLifecycleConfiguration',
    'GetBucketNotification': 'GetBucketNotificationConfiguration',
    'PutBucketNotification': 'PutBucketNotificationConfiguration',
}
# Requests that do not go to a bucket endpoint at all.
SKIP = {'WriteGetObjectResponse', 'ListDirectoryBuckets'}
BUCKET, KEY = 'subres-bucket', 'k'


def model():
    path = os.path.join(os.path.dirname(botocore.__file__), 'data', 's3', '2006-03-01',
                        'service-2.json.gz')
    with gzip.open(path) as f:
        return json.load(f)['operations']


def send(endpoint, method, uri, headers=None):
    url = endpoint + uri
    req = signed_request(method, url)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, '', r.read().decode(errors='replace')
    except urllib.error.HTTPError as e:
        body = e.read().decode(errors='replace')
        code = ''
        if body.strip().startswith('<'):
            try:
                root = ET.fromstring(body)
                code = root.findtext('Code') or ''
                message = root.findtext('Message') or ''
                return e.code, code, message
            except ET.ParseError:
                pass
        return e.code, code, body


def prepare(endpoint):
    s3 = client(endpoint)
    try:
        s3.create_bucket(Bucket=BUCKET)
    except Exception:
        pass
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=b'x')


def request_for(op):
    http = op['http']
    uri = http['requestUri'].replace('{Bucket}', BUCKET).replace('{Key+}', KEY)
    headers = {}
    name = op['name']
    if name in ('CopyObject', 'UploadPartCopy'):
        headers['x-amz-copy-source'] = '/%s/%s' % (BUCKET, KEY)
    if name == 'GetObjectAttributes':
        headers['x-amz-object-attributes'] = 'ETag'  # required by the model
    if name in ('UploadPart', 'UploadPartCopy', 'CompleteMultipartUpload',
                'AbortMultipartUpload', 'ListParts'):
        uri += ('&' if '?' in uri else '?') + 'uploadId=nosuchupload'
        if name in ('UploadPart', 'UploadPartCopy'):
            uri += '&partNumber=1'
    if name.startswith('Get') and name.endswith('Configuration') and name[3:] in (
            'BucketAnalyticsConfiguration', 'BucketIntelligentTieringConfiguration',
            'BucketInventoryConfiguration', 'BucketMetricsConfiguration'):
        uri += '&id=x'
    return http['method'], uri, headers


def main():
    sim = sys.argv[1]
    moto = sys.argv[2] if len(sys.argv) > 2 else None
    failures = []
    seen = 0
    for name, op in sorted(model().items()):
        if name in SKIP:
            continue
        seen += 1
        op = dict(op, name=name)
        method, uri, headers = request_for(op)
        if name == 'ListBuckets':
            uri = '/'
        prepare(sim)
        status, code, message = send(sim, method, uri, headers)
        real = ALIASES.get(name, name)
        if status == 501:
            if code != 'NotImplemented' or real not in message:
                failures.append('%s %s: 501 %s without naming %s: %s' %
                                (method, uri, code, real, message))
            elif real in IMPLEMENTED:
                failures.append('%s %s: implemented but answered 501' % (method, uri))
            print('%-48s %s %s -> 501 (%s)' % (name, method, uri, message))
            continue
        if real not in IMPLEMENTED:
            failures.append('%s %s (%s): answered %s %s, not 501 NotImplemented' %
                            (method, uri, name, status, code))
            continue
        line = '%-48s %s %s -> sim %s %s' % (name, method, uri, status, code)
        if moto:
            prepare(moto)
            mstatus, mcode, _ = send(moto, method, uri, headers)
            line += ' | moto %s %s' % (mstatus, mcode)
            if mstatus < 500 and mstatus != status and real not in MOTO_DIFFERS:
                failures.append('%s %s (%s): sim %s %s, moto %s %s' %
                                (method, uri, name, status, code, mstatus, mcode))
        print(line)
    # Sub-resources the router knows at one level only, sent at the other.
    prepare(sim)
    for method, uri in (('GET', '/%s/%s?versioning' % (BUCKET, KEY)),
                        ('POST', '/%s?restore' % BUCKET),
                        ('POST', '/%s?versioning' % BUCKET)):
        status, code, message = send(sim, method, uri)
        print('%s %s -> %s %s %s' % (method, uri, status, code, message))
        if status not in (405, 501):
            failures.append('%s %s: %s %s (want 405 or 501)' % (method, uri, status, code))
    print('%d operations walked' % seen)
    if seen < 100:
        failures.append('only %d operations in the model?' % seen)
    for f in failures:
        print('FAIL', f)
    sys.exit(1 if failures else 0)


if __name__ == '__main__':
    main()
