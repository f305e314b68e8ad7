# boto3's default presigned URLs (botocore signs S3 presigned URLs with SigV2 query auth:
# AWSAccessKeyId, Signature, Expires) fetched with curl; SigV2 header-signed requests too; wrong
# secret, unknown key and expired URLs refused as S3 refuses them.
import subprocess
import sys
import time

from simclient import client

ep = sys.argv[1]
s3 = client(ep)
s3.create_bucket(Bucket='v2b')
s3.put_object(Bucket='v2b', Key='dir/odd key+1.txt', Body=b'presigned v2')
url = s3.generate_presigned_url('get_object', Params={'Bucket': 'v2b', 'Key': 'dir/odd key+1.txt'},
                                ExpiresIn=60)
assert 'AWSAccessKeyId=' in url and 'Signature=' in url and 'Expires=' in url, url


def curl(u, *args):
    return subprocess.run(['curl', '-s', *args, u], capture_output=True).stdout


assert curl(url) == b'presigned v2', curl(url)
# A response override is a signed sub-resource.
url2 = s3.generate_presigned_url('get_object', Params={
    'Bucket': 'v2b', 'Key': 'dir/odd key+1.txt', 'ResponseContentType': 'text/plain'})
assert curl(url2) == b'presigned v2', curl(url2)
bad = client(ep, secret='wrong')
bad_url = bad.generate_presigned_url('get_object', Params={'Bucket': 'v2b', 'Key': 'dir/odd key+1.txt'})
assert b'<Code>SignatureDoesNotMatch</Code>' in curl(bad_url), curl(bad_url)
assert b'<Code>InvalidAccessKeyId</Code>' in curl(url.replace('AWSAccessKeyId=testing',
                                                               'AWSAccessKeyId=nobody'))
old = s3.generate_presigned_url('get_object', Params={'Bucket': 'v2b', 'Key': 'dir/odd key+1.txt'},
                                ExpiresIn=1)
time.sleep(2.1)
assert b'<Code>AccessDenied</Code>' in curl(old), curl(old)
# A presigned PUT.
put = s3.generate_presigned_url('put_object', Params={'Bucket': 'v2b', 'Key': 'up'})
subprocess.run(['curl', '-sf', '-X', 'PUT', '--data-binary', 'via v2', '-H', 'Content-Type:', put],
               check=True)
assert s3.get_object(Bucket='v2b', Key='up')['Body'].read() == b'via v2'
# SigV2 header signing (botocore's 's3' signature version).
v2 = client(ep, signature_version='s3')
assert v2.get_object(Bucket='v2b', Key='dir/odd key+1.txt')['Body'].read() == b'presigned v2'
v2.put_object(Bucket='v2b', Key='v2 header', Body=b'h', Metadata={'a': 'b'})
assert s3.head_object(Bucket='v2b', Key='v2 header')['Metadata'] == {'a': 'b'}
print('ok')
