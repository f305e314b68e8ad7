# thaw sim plays S3's part for regions (src/sim/region_check.cc has the table): buckets created
# with a LocationConstraint live in that region, GetBucketLocation and HeadBucket say so, and a
# request signed for another region gets S3's answer for its kind. The raw answers are checked
# with requests signed by botocore's signers and sent by http.client; then boto3 itself (its
# S3RegionRedirector, which we did not write) must reach a bucket of another region for every
# operation without being told the region. argv[1] is the sim's endpoint (region us-east-1).
import http.client
import sys
import xml.etree.ElementTree as ET

import boto3
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

ep = sys.argv[1]
hostport = ep.split('://', 1)[1]
port = int(hostport.rsplit(':', 1)[1])


def client(region, retries=3):
    return boto3.client('s3', endpoint_url=ep, region_name=region,
                        aws_access_key_id='testing', aws_secret_access_key='testing',
                        config=Config(s3={'addressing_style': 'path'},
                                      retries={'max_attempts': retries, 'mode': 'standard'}))


def error_code(fn):
    try:
        fn()
    except ClientError as e:
        return e.response['Error']['Code'], e.response['Error'].get('Message', '')
    return None, ''


def raw(method, path, region, host=None, presign=False, secret='testing', body=b''):
    """Signs with botocore for `region` and sends as is; returns (status, headers, body)."""
    host = host or hostport
    req = AWSRequest(method=method, url='http://' + host + path, data=body)
    creds = Credentials('testing', secret)
    if presign:
        S3SigV4QueryAuth(creds, 's3', region, expires=300).add_auth(req)
    else:
        S3SigV4Auth(creds, 's3', region).add_auth(req)
    target = req.url.split(host, 1)[1]
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=10)
    headers = {k: v for k, v in req.headers.items()}
    headers['Host'] = host
    conn.request(method, target, body=body, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data


def element(body, name):
    root = ET.fromstring(body)
    node = root.find(name)
    return None if node is None else node.text


failures = []


def check(what, cond, detail=''):
    if not cond:
        failures.append(what + (': ' + str(detail) if detail else ''))


us = client('us-east-1')
eu = client('eu-west-1')

# --- buckets have regions -------------------------------------------------------------------
us.create_bucket(Bucket='home')
eu.create_bucket(Bucket='euro', CreateBucketConfiguration={'LocationConstraint': 'eu-west-1'})
check('home location', us.get_bucket_location(Bucket='home')['LocationConstraint'] is None)
check('euro location', eu.get_bucket_location(Bucket='euro')['LocationConstraint'] == 'eu-west-1')
hb = eu.head_bucket(Bucket='euro')
check('HeadBucket region', hb['ResponseMetadata']['HTTPHeaders'].get('x-amz-bucket-region') ==
      'eu-west-1', hb['ResponseMetadata']['HTTPHeaders'])

# --- CreateBucket and its region errors ------------------------------------------------------
code, msg = error_code(lambda: us.create_bucket(
    Bucket='bad1', CreateBucketConfiguration={'LocationConstraint': 'eu-west-1'}))
check('constraint for another endpoint', code == 'IllegalLocationConstraintException', code)
check('its message', 'eu-west-1 location constraint is incompatible' in msg, msg)
code, msg = error_code(lambda: eu.create_bucket(Bucket='bad2'))
check('no constraint outside us-east-1', code == 'IllegalLocationConstraintException', code)
check('its message', 'unspecified location constraint' in msg, msg)
code, _ = error_code(lambda: us.create_bucket(
    Bucket='bad3', CreateBucketConfiguration={'LocationConstraint': 'us-east-1'}))
check('explicit us-east-1', code == 'InvalidLocationConstraint', code)
code, _ = error_code(lambda: eu.create_bucket(
    Bucket='bad4', CreateBucketConfiguration={'LocationConstraint': 'moon'}))
check('not a region', code == 'InvalidLocationConstraint', code)
code, _ = error_code(lambda: us.create_bucket(Bucket='home'))
check('re-create in us-east-1 is 200 (legacy)', code is None, code)
code, _ = error_code(lambda: eu.create_bucket(
    Bucket='euro', CreateBucketConfiguration={'LocationConstraint': 'eu-west-1'}))
check('re-create elsewhere', code == 'BucketAlreadyOwnedByYou', code)
for name in ('bad1', 'bad2', 'bad3', 'bad4'):
    check(name + ' not created', error_code(lambda: us.head_bucket(Bucket=name))[0] == '404')

eu.put_object(Bucket='euro', Key='k', Body=b'hello world')

# --- raw answers to a request signed for the wrong region ------------------------------------
# Path style reaches the sim's own region (us-east-1): 301 PermanentRedirect.
for method, path in (('GET', '/euro/k'), ('PUT', '/euro/k2'), ('POST', '/euro/k?uploads'),
                     ('DELETE', '/euro/k'), ('GET', '/euro?list-type=2')):
    st, h, body = raw(method, path, 'us-east-1', body=b'x' if method == 'PUT' else b'')
    check(method + ' ' + path + ' status', st == 301, (st, body))
    check(method + ' ' + path + ' header', h.get('x-amz-bucket-region') == 'eu-west-1', h)
    check(method + ' ' + path + ' code', element(body, 'Code') == 'PermanentRedirect', body)
    check(method + ' ' + path + ' Bucket', element(body, 'Bucket') == 'euro', body)
    check(method + ' ' + path + ' Endpoint', element(body, 'Endpoint') == hostport, body)
check('the 301 DELETE deleted nothing', eu.head_object(Bucket='euro', Key='k')['ContentLength'] == 11)
for path in ('/euro/k', '/euro'):
    st, h, body = raw('HEAD', path, 'us-east-1')
    check('HEAD ' + path, st == 301 and h.get('x-amz-bucket-region') == 'eu-west-1' and not body,
          (st, h, body))
st, h, body = raw('GET', '/euro/k', 'us-east-1', presign=True)
check('presigned path style', st == 301 and element(body, 'Code') == 'PermanentRedirect', (st, body))

# Virtual-hosted reaches the bucket's region: 400 naming the region.
vhost = 'euro.localhost:' + str(port)
st, h, body = raw('GET', '/k', 'us-east-1', host=vhost)
check('vhost GET', st == 400 and element(body, 'Code') == 'AuthorizationHeaderMalformed', (st, body))
check('vhost Region', element(body, 'Region') == 'eu-west-1', body)
check('vhost message', "the region 'us-east-1' is wrong; expecting 'eu-west-1'" in
      (element(body, 'Message') or ''), body)
st, h, body = raw('HEAD', '/k', 'us-east-1', host=vhost)
check('vhost HeadObject: bare 400, no region', st == 400 and not body and
      'x-amz-bucket-region' not in h, (st, h))
st, h, body = raw('HEAD', '/', 'us-east-1', host=vhost)
check('vhost HeadBucket: 400 with region', st == 400 and h.get('x-amz-bucket-region') ==
      'eu-west-1', (st, h))
st, h, body = raw('GET', '/k', 'us-east-1', host=vhost, presign=True)
check('vhost presigned', st == 400 and element(body, 'Code') ==
      'AuthorizationQueryParametersError' and element(body, 'Region') == 'eu-west-1', (st, body))
check('vhost presigned message', 'Error parsing the X-Amz-Credential parameter' in
      (element(body, 'Message') or ''), body)
# A bucket of the sim's own region signed for another: the request is where the bucket is.
st, h, body = raw('GET', '/home?list-type=2', 'eu-west-1')
check('home signed for eu-west-1', st == 400 and element(body, 'Region') == 'us-east-1', (st, body))

# Answered from any region, as S3 does: GetBucketLocation.
st, h, body = raw('GET', '/euro?location', 'us-east-1')
check('GetBucketLocation from us-east-1', st == 200 and b'eu-west-1' in body, (st, body))
# HeadBucket says the region even when it refuses.
st, h, body = raw('HEAD', '/euro', 'eu-west-1', secret='wrong')
check('HeadBucket 403 with region', st == 403 and h.get('x-amz-bucket-region') == 'eu-west-1',
      (st, h))
# Signed for the bucket's region: served.
st, h, body = raw('GET', '/euro/k', 'eu-west-1')
check('signed for eu-west-1', st == 200 and body == b'hello world', (st, body))
st, h, body = raw('GET', '/euro/k', 'eu-west-1', presign=True)
check('presigned for eu-west-1', st == 200 and body == b'hello world', (st, body))

# --- boto3 configured for us-east-1 finds eu-west-1 by itself --------------------------------
us.put_object(Bucket='euro', Key='cold', Body=b'frozen', StorageClass='GLACIER')
check('HeadObject', us.head_object(Bucket='euro', Key='k')['ContentLength'] == 11)
check('ranged GetObject',
      us.get_object(Bucket='euro', Key='k', Range='bytes=0-4')['Body'].read() == b'hello')
keys = [o['Key'] for o in us.list_objects_v2(Bucket='euro')['Contents']]
check('ListObjectsV2', keys == ['cold', 'k'], keys)
r = us.restore_object(Bucket='euro', Key='cold',
                      RestoreRequest={'Days': 1, 'GlacierJobParameters': {'Tier': 'Expedited'}})
check('RestoreObject', r['ResponseMetadata']['HTTPStatusCode'] == 202, r['ResponseMetadata'])
mpu = us.create_multipart_upload(Bucket='euro', Key='big')
part = us.upload_part(Bucket='euro', Key='big', UploadId=mpu['UploadId'], PartNumber=1, Body=b'p')
us.complete_multipart_upload(Bucket='euro', Key='big', UploadId=mpu['UploadId'],
                             MultipartUpload={'Parts': [{'PartNumber': 1, 'ETag': part['ETag']}]})
us.copy_object(Bucket='euro', Key='k-copy', CopySource={'Bucket': 'euro', 'Key': 'k'})
check('copy', us.get_object(Bucket='euro', Key='k-copy')['Body'].read() == b'hello world')
us.delete_object(Bucket='euro', Key='big')
us.head_bucket(Bucket='euro')

# --- requester pays --------------------------------------------------------------------------
us.create_bucket(Bucket='paid')
us.put_object(Bucket='paid', Key='k', Body=b'p')
us.put_bucket_request_payment(Bucket='paid', RequestPaymentConfiguration={'Payer': 'Requester'})
check('payer', us.get_bucket_request_payment(Bucket='paid')['Payer'] == 'Requester')
code, _ = error_code(lambda: us.get_object(Bucket='paid', Key='k'))
check('no x-amz-request-payer', code == 'AccessDenied', code)
check('with RequestPayer',
      us.get_object(Bucket='paid', Key='k', RequestPayer='requester')['Body'].read() == b'p')
us.put_bucket_request_payment(Bucket='paid', RequestPaymentConfiguration={'Payer': 'BucketOwner'})
check('owner pays again', us.get_object(Bucket='paid', Key='k')['Body'].read() == b'p')

if failures:
    print('FAILED:\n  ' + '\n  '.join(failures))
    sys.exit(1)
print('regions ok')
