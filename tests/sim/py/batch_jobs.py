# S3 Batch Operations on thaw sim through boto3's `s3control` client (an independent client):
# CreateJob with a CSV manifest (ETag checked), idempotent ClientRequestToken, DescribeJob until
# Complete, the restores the job started, the completion report as AWS writes it, ListJobs,
# UpdateJobStatus (confirm, cancel) and the errors of bad requests. STS GetCallerIdentity gives
# the account id as it would on AWS.
#
# boto3 prefixes the account id to the endpoint's host (123456789012.localhost:PORT); resolvers
# such as systemd's resolve *.localhost to the loopback address, glibc's files backend does not,
# so this script does it for its own process.
import csv
import hashlib
import io
import json
import socket
import sys
import time
import urllib.parse

import boto3
from botocore.config import Config

sys.path.insert(0, __file__.rsplit('/', 1)[0])
from simclient import client, error_code  # noqa: E402

_getaddrinfo = socket.getaddrinfo


def _resolve_localhost(host, *args, **kwargs):
    if isinstance(host, str) and host.endswith('.localhost'):
        host = '127.0.0.1'
    return _getaddrinfo(host, *args, **kwargs)


socket.getaddrinfo = _resolve_localhost

ep = sys.argv[1].replace('127.0.0.1', 'localhost')
s3 = client(ep)
cfg = Config(retries={'total_max_attempts': 1})
ctl = boto3.client('s3control', endpoint_url=ep, region_name='us-east-1',
                   aws_access_key_id='testing', aws_secret_access_key='testing', config=cfg)
sts = boto3.client('sts', endpoint_url=ep, region_name='us-east-1',
                   aws_access_key_id='testing', aws_secret_access_key='testing', config=cfg)

account = sts.get_caller_identity()['Account']
assert account == '123456789012', account
role = 'arn:aws:iam::%s:role/thaw-batch' % account

s3.create_bucket(Bucket='data')
s3.create_bucket(Bucket='reports')
archived = ['a/1', 'a/2', 'a/3', 'a b/4 é', 'a/5,comma']
for k in archived:
    s3.put_object(Bucket='data', Key=k, Body=b'x' * 10, StorageClass='GLACIER')
s3.put_object(Bucket='data', Key='hot', Body=b'h')
keys = archived + ['hot', 'missing']
lines = ''.join('data,%s\n' % urllib.parse.quote(k, safe='/') for k in keys)
etag = s3.put_object(Bucket='reports', Key='manifests/m.csv', Body=lines.encode())['ETag']


def create(token, etag=etag, **kw):
    args = dict(AccountId=account, ConfirmationRequired=False,
                Operation={'S3InitiateRestoreObject': {'ExpirationInDays': 3,
                                                       'GlacierJobTier': 'BULK'}},
                Report={'Bucket': 'arn:aws:s3:::reports', 'Format': 'Report_CSV_20180820',
                        'Enabled': True, 'Prefix': 'batch', 'ReportScope': 'AllTasks'},
                ClientRequestToken=token,
                Manifest={'Spec': {'Format': 'S3BatchOperations_CSV_20180820',
                                   'Fields': ['Bucket', 'Key']},
                          'Location': {'ObjectArn': 'arn:aws:s3:::reports/manifests/m.csv',
                                       'ETag': etag}},
                Priority=10, RoleArn=role)
    args.update(kw)
    return ctl.create_job(**args)['JobId']


def wait(job_id, statuses=('Complete', 'Failed', 'Cancelled'), timeout=30):
    deadline = time.time() + timeout
    while True:
        job = ctl.describe_job(AccountId=account, JobId=job_id)['Job']
        if job['Status'] in statuses or time.time() > deadline:
            return job
        time.sleep(0.05)


job_id = create('token-1')
assert create('token-1') == job_id, 'a ClientRequestToken used again returns the same job'
job = wait(job_id)
assert job['Status'] == 'Complete', job
p = job['ProgressSummary']
assert (p['TotalNumberOfTasks'], p['NumberOfTasksSucceeded'], p['NumberOfTasksFailed']) == \
    (7, 5, 2), p
assert job['Operation']['S3InitiateRestoreObject'] == \
    {'ExpirationInDays': 3, 'GlacierJobTier': 'BULK'}, job['Operation']
assert job['Manifest']['Location']['ETag'] == etag and job['RoleArn'] == role
assert job['Report']['ReportScope'] == 'AllTasks' and 'TerminationDate' in job
for k in archived:
    assert 'ongoing-request="true"' in s3.head_object(Bucket='data', Key=k)['Restore'], k

# The report: batch/job-ID/manifest.json naming result files with their MD5s.
m = json.loads(s3.get_object(Bucket='reports',
                             Key='batch/job-%s/manifest.json' % job_id)['Body'].read())
assert m['Format'] == 'Report_CSV_20180820', m
assert m['ReportSchema'].startswith('Bucket, Key, VersionId, TaskStatus'), m
rows = {}
for r in m['Results']:
    assert r['Bucket'] == 'reports' and r['Key'].startswith('batch/job-%s/results/' % job_id), r
    body = s3.get_object(Bucket='reports', Key=r['Key'])['Body'].read()
    assert hashlib.md5(body).hexdigest() == r['MD5Checksum'], r
    for row in csv.reader(io.StringIO(body.decode())):
        assert row[3] == r['TaskExecutionStatus'], (row, r)
        rows[urllib.parse.unquote(row[1])] = row
assert sorted(rows) == sorted(keys), rows
assert rows['a b/4 é'][3:6] == ['succeeded', '200', ''], rows['a b/4 é']
assert rows['hot'][3:6] == ['failed', '403', 'InvalidObjectState'], rows['hot']
assert rows['missing'][3:6] == ['failed', '404', 'NoSuchKey'], rows['missing']

# A second job over the same objects: the restores are running, S3 answers 409.
job2 = wait(create('token-2', Report={'Enabled': False}))
assert job2['Status'] == 'Complete' and job2['ProgressSummary']['NumberOfTasksFailed'] == 7, job2

# A manifest whose ETag is not the one given: the job fails while preparing.
bad = wait(create('token-3', etag='"0123456789abcdef0123456789abcdef"'))
assert bad['Status'] == 'Failed' and 'ETag' in bad['FailureReasons'][0]['FailureReason'], bad

# Confirmation required: Suspended until confirmed or cancelled.
held = create('token-4', ConfirmationRequired=True)
assert wait(held, ('Suspended',))['Status'] == 'Suspended'
r = ctl.update_job_status(AccountId=account, JobId=held, RequestedJobStatus='Cancelled',
                          StatusUpdateReason='not today')
assert r['Status'] == 'Cancelling' and r['StatusUpdateReason'] == 'not today', r
assert wait(held)['Status'] == 'Cancelled'
assert error_code(ctl.update_job_status, AccountId=account, JobId=held,
                  RequestedJobStatus='Cancelled') == ('JobStatusException', 400)

# ListJobs: newest first, filtered by status.
listed = ctl.list_jobs(AccountId=account)['Jobs']
assert [j['JobId'] for j in listed][-1] == job_id and len(listed) == 4, listed
assert listed[-1]['Operation'] == 'S3InitiateRestoreObject'
done = ctl.list_jobs(AccountId=account, JobStatuses=['Complete'])['Jobs']
assert sorted(j['JobId'] for j in done) == sorted([job_id, job2['JobId']]), done

# Bad requests.
assert error_code(ctl.describe_job, AccountId=account, JobId='00000000-nope') == \
    ('NotFoundException', 404)
assert error_code(create, 'token-5', RoleArn='not-a-role') == ('InvalidRequest', 400)
assert error_code(create, 'token-6', RoleArn='arn:aws:iam::999999999999:role/x') == \
    ('AccessDenied', 403)
assert error_code(ctl.list_jobs, AccountId='999999999999') == ('AccessDenied', 403)
print('ok')
