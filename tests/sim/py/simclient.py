# Helpers for the sim's Python test scripts: a boto3 S3 client bound to the sim (test
# credentials testing/testing, path style, no retries) and the admin endpoint.
import sys
import urllib.request

import boto3
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError


def client(endpoint, secret='testing', **config):
    cfg = Config(s3={'addressing_style': 'path'}, retries={'total_max_attempts': 1}, **config)
    return boto3.client('s3', endpoint_url=endpoint, region_name='us-east-1',
                        aws_access_key_id='testing', aws_secret_access_key=secret, config=cfg)


def signed_request(method, url, body=b'', key='testing', secret='testing'):
    """A urllib request signed with SigV4 (as the sim's /_thaw/ admin paths require)."""
    aws = AWSRequest(method=method, url=url, data=body or b'')
    S3SigV4Auth(Credentials(key, secret), 's3', 'us-east-1').add_auth(aws)
    return urllib.request.Request(url, data=body or None, method=method, headers=dict(aws.headers))


def admin(endpoint, path, method='GET', body=b''):
    req = signed_request(method, endpoint + '/_thaw/' + path, body)
    return urllib.request.urlopen(req).read().decode()


def advance(endpoint, duration):
    """Jumps the sim clock forward (e.g. '50h')."""
    return admin(endpoint, 'time?advance=' + duration, 'POST')


def error_code(fn, *args, **kwargs):
    """The S3 error code and HTTP status fn raises, or ('OK', 200)."""
    try:
        fn(*args, **kwargs)
        return 'OK', 200
    except ClientError as e:
        return e.response['Error'].get('Code'), e.response['ResponseMetadata']['HTTPStatusCode']


failures = []


def check(cond, what):
    """Records (and prints) a failed expectation; finish() exits 1 when there was any."""
    if not cond:
        failures.append(what)
        print('FAIL', what)


def finish():
    print('%d failures' % len(failures))
    sys.exit(1 if failures else 0)
