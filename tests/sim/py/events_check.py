# Reads what `thaw sim --events-dir DIR` wrote after events_traffic.py with nothing but Python's
# json and gzip, and checks it against AWS's formats (facts doc): CloudTrail log files in
# AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/ named as CloudTrail names them, EventBridge
# events, S3 restore notifications and access-log lines with the error-code column.
import glob
import gzip
import json
import os
import re
import sys

d = sys.argv[1]
key = 'dir/a b+c.bin'

trail_files = glob.glob(os.path.join(d, 'AWSLogs/*/CloudTrail/*/*/*/*/*.json.gz'))
assert trail_files, os.listdir(d)
records = []
for f in trail_files:
    assert re.fullmatch(r'123456789012_CloudTrail_us-east-1_\d{8}T\d{4}Z_[A-Za-z0-9]{16}\.json\.gz',
                        os.path.basename(f)), f
    assert '/AWSLogs/123456789012/CloudTrail/us-east-1/' in f, f
    doc = json.loads(gzip.decompress(open(f, 'rb').read()))
    assert list(doc.keys()) == ['Records'], doc.keys()
    records += doc['Records']
names = sorted({r['eventName'] for r in records})
assert names == ['GetObject', 'HeadObject', 'PutObject', 'RestoreObject'], names
for r in records:
    assert r['eventSource'] == 's3.amazonaws.com' and r['eventCategory'] == 'Data', r
    assert r['requestParameters']['bucketName'] == 'evb' and r['eventID'] and r['requestID'], r
    assert r['userIdentity']['accessKeyId'] == 'testing', r
failed = [r for r in records if r['eventName'] == 'GetObject' and r.get('errorCode')]
assert len(failed) == 1, failed
assert failed[0]['errorCode'] == 'InvalidObjectState' and failed[0]['requestParameters'][
    'key'] == key, failed
assert len([r for r in records if r['eventName'] == 'GetObject' and 'errorCode' not in r]) == 2

bridge = [json.loads(line) for line in open(os.path.join(d, 'eventbridge.jsonl'))]
api = [e for e in bridge if e['detail-type'] == 'AWS API Call via CloudTrail']
assert len(api) == len(records), (len(api), len(records))
assert {e['detail']['eventID'] for e in api} == {r['eventID'] for r in records}
assert all(e['source'] == 'aws.s3' and e['account'] == '123456789012' for e in bridge)
restore_types = [e['detail-type'] for e in bridge if e['detail-type'].startswith('Object Restore')]
assert restore_types == ['Object Restore Initiated', 'Object Restore Completed',
                         'Object Restore Expired'], restore_types
done = [e for e in bridge if e['detail-type'] == 'Object Restore Completed'][0]['detail']
assert done['object']['key'] == key and done['bucket']['name'] == 'evb', done
assert done['source-storage-class'] == 'GLACIER' and done['restore-expiry-time'].endswith(
    'T00:00:00Z'), done

notes = [json.loads(line) for line in open(os.path.join(d, 's3-notifications.jsonl'))]
events = [n['Records'][0] for n in notes]
assert [e['eventName'] for e in events] == ['ObjectRestore:Post', 'ObjectRestore:Completed',
                                            'ObjectRestore:Delete'], events
for e in events:
    assert e['eventSource'] == 'aws:s3' and e['s3']['bucket']['name'] == 'evb', e
    assert e['s3']['object']['key'] == 'dir/a+b%2Bc.bin', e  # form-encoded, as S3 sends keys
    assert e['s3']['object']['size'] == 8, e
data = events[1]['glacierEventData']['restoreEventData']
assert data['lifecycleRestoreStorageClass'] == 'GLACIER', data
assert data['lifecycleRestorationExpiryTime'].endswith('T00:00:00.000Z'), data

lines = []
for f in glob.glob(os.path.join(d, 'access-logs', '*')):
    assert re.fullmatch(r'\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d-[A-Za-z0-9]{16}', os.path.basename(f)), f
    lines += [l for l in open(f).read().splitlines() if l]
field = re.compile(r'"[^"]*"|\[[^\]]*\]|\S+')
rows = [field.findall(l) for l in lines]
assert all(len(r) >= 25 for r in rows), rows
# Bucket Owner, Bucket, [Time], Remote IP, Requester, Request ID, Operation, Key, Request-URI,
# HTTP status, Error Code, Bytes Sent, Object Size, ...
bad = [r for r in rows if r[6] == 'REST.GET.OBJECT' and r[9] == '403']
assert len(bad) == 1 and bad[0][10] == 'InvalidObjectState', bad
assert bad[0][7] == 'dir/a%20b%2Bc.bin' and bad[0][1] == 'evb', bad
assert bad[0][8].startswith('"GET /evb/dir/a%20b%2Bc.bin'), bad
ok = [r for r in rows if r[6] == 'REST.GET.OBJECT' and r[9] == '200']
assert len(ok) == 2 and all(r[10] == '-' for r in ok), ok
assert any(r[6] == 'REST.POST.RESTORE' and r[9] == '202' for r in rows), rows
print('ok')
