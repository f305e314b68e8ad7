# The sim's STS endpoint seen by boto3 (an STS client we did not write), on the sim's own port:
# GetCallerIdentity, AssumeRole (DurationSeconds limits, role chaining), and
# AssumeRoleWithWebIdentity; the issued credentials work for S3 until they expire on the sim
# clock (ExpiredToken, also from STS itself), a foreign session token is InvalidToken, and the
# long-term key keeps working. argv: endpoint.
import sys
import datetime

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from simclient import admin, advance, client, error_code

ep = sys.argv[1]
# No client-side validation: the sim's own checks of DurationSeconds and names are under test.
cfg = Config(retries={'total_max_attempts': 1}, s3={'addressing_style': 'path'},
             parameter_validation=False)


def sts(key='testing', secret='testing', token=None):
    return boto3.client('sts', endpoint_url=ep, region_name='us-east-1', aws_access_key_id=key,
                        aws_secret_access_key=secret, aws_session_token=token, config=cfg)


def s3_with(creds):
    return boto3.client('s3', endpoint_url=ep, region_name='us-east-1',
                        aws_access_key_id=creds['AccessKeyId'],
                        aws_secret_access_key=creds['SecretAccessKey'],
                        aws_session_token=creds['SessionToken'], config=cfg)


def sts_error(fn, **kw):
    try:
        fn(**kw)
        return 'OK', 200
    except ClientError as e:
        return e.response['Error']['Code'], e.response['ResponseMetadata']['HTTPStatusCode']


long_term = client(ep)
long_term.create_bucket(Bucket='sts')
long_term.put_object(Bucket='sts', Key='k', Body=b'hello')

me = sts().get_caller_identity()
assert me['Account'] == '123456789012', me
assert me['Arn'].startswith('arn:aws:iam::123456789012:'), me

role = 'arn:aws:iam::210987654321:role/team/reader'
out = sts().assume_role(RoleArn=role, RoleSessionName='boto-test', DurationSeconds=900)
creds = out['Credentials']
assert creds['AccessKeyId'].startswith('ASIA') and len(creds['AccessKeyId']) == 20, creds
assert out['AssumedRoleUser']['Arn'] == \
    'arn:aws:sts::210987654321:assumed-role/reader/boto-test', out
assert out['AssumedRoleUser']['AssumedRoleId'].endswith(':boto-test')
# Expiration: 900 s of sim time after now (time scale 1 here), in wall-clock time.
left = (creds['Expiration'] - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
assert 880 < left <= 900, left

# The temporary credentials work for S3 and for STS (GetCallerIdentity names the session).
s3 = s3_with(creds)
assert s3.get_object(Bucket='sts', Key='k')['Body'].read() == b'hello'
who = sts(creds['AccessKeyId'], creds['SecretAccessKey'], creds['SessionToken']).get_caller_identity()
assert who['Arn'] == out['AssumedRoleUser']['Arn'] and who['Account'] == '210987654321', who

# Role chaining: at most one hour.
chained = sts(creds['AccessKeyId'], creds['SecretAccessKey'], creds['SessionToken'])
assert sts_error(chained.assume_role, RoleArn=role, RoleSessionName='c1',
                 DurationSeconds=3601) == ('ValidationError', 400)
assert chained.assume_role(RoleArn=role, RoleSessionName='c2',
                           DurationSeconds=3600)['Credentials']['AccessKeyId'].startswith('ASIA')

# STS's own limits.
assert sts_error(sts().assume_role, RoleArn=role, RoleSessionName='x1',
                 DurationSeconds=899) == ('ValidationError', 400)
assert sts_error(sts().assume_role, RoleArn=role, RoleSessionName='x1',
                 DurationSeconds=43201) == ('ValidationError', 400)
assert sts_error(sts().assume_role, RoleArn='arn:aws:iam::1:user/bob-the-user',
                 RoleSessionName='x1') == ('ValidationError', 400)
assert sts().assume_role(RoleArn=role, RoleSessionName='long',
                         DurationSeconds=43200)['Credentials']

# Unsigned and wrongly signed calls.
assert sts_error(sts(secret='wrong').get_caller_identity) == ('SignatureDoesNotMatch', 403)
assert sts_error(sts(key='AKIANOBODY').get_caller_identity) == ('InvalidClientTokenId', 403)

# Web identity: unsigned, any token.
web = boto3.client('sts', endpoint_url=ep, region_name='us-east-1', config=Config(
    signature_version=__import__('botocore').UNSIGNED, retries={'total_max_attempts': 1}))
w = web.assume_role_with_web_identity(RoleArn=role, RoleSessionName='pod',
                                      WebIdentityToken='eyJhbGciOi.payload.sig')
assert s3_with(w['Credentials']).head_object(Bucket='sts', Key='k')['ContentLength'] == 5

# A session token the sim did not issue, or the wrong one for the key: InvalidToken.
forged = dict(creds, SessionToken='FwoGZXIvYXdzEForgedToken')
assert error_code(s3_with(forged).get_object, Bucket='sts', Key='k') == ('InvalidToken', 400)
foreign = {'AccessKeyId': 'testing', 'SecretAccessKey': 'testing', 'SessionToken': 'not-ours'}
assert error_code(s3_with(foreign).get_object, Bucket='sts', Key='k') == ('InvalidToken', 400)

# Past the expiry on the sim clock: ExpiredToken from S3 and from STS.
advance(ep, '901s')
assert error_code(s3.get_object, Bucket='sts', Key='k') == ('ExpiredToken', 400)
assert error_code(s3.list_objects_v2, Bucket='sts') == ('ExpiredToken', 400)
got = sts_error(sts(creds['AccessKeyId'], creds['SecretAccessKey'],
                    creds['SessionToken']).get_caller_identity)
assert got == ('ExpiredToken', 400), got
# Presigned URLs made with them are refused the same way.
import urllib.request
import urllib.error
url = s3.generate_presigned_url('get_object', Params={'Bucket': 'sts', 'Key': 'k'})
try:
    urllib.request.urlopen(url)
    assert False, 'expired presigned URL accepted'
except urllib.error.HTTPError as e:
    assert e.code == 400 and b'ExpiredToken' in e.read(), e.code

# The long-term key is unaffected.
assert long_term.get_object(Bucket='sts', Key='k')['Body'].read() == b'hello'
counts = admin(ep, 'sts')
assert 'AssumeRole ' in counts and 'AssumeRoleWithWebIdentity 1' in counts, counts
print('ok')
