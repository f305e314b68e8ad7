# S3 Inventory in the sim through boto3: Put/Get/List/DeleteBucketInventoryConfiguration, then
# the reports the sim writes on its clock, read back with Python's json, gzip, csv and hashlib
# as any reader of AWS's layout would: manifest.json fields, manifest.checksum, each data file's
# MD5, quoted CSV rows with URL-encoded keys and the configured optional fields.
# Prints the manifest key of the newest report last ("manifest=KEY").
import csv
import gzip
import hashlib
import io
import json
import sys
import time
import urllib.parse

from simclient import advance, client, error_code

ep = sys.argv[1]
s3 = client(ep)
s3.create_bucket(Bucket='src')
s3.create_bucket(Bucket='reports')
objects = {
    'cold/a b,c.dat': ('GLACIER', None),
    'cold/deep.h5': ('DEEP_ARCHIVE', None),
    'hot/readme.txt': ('STANDARD', None),
    'it/archived': ('INTELLIGENT_TIERING', 'ARCHIVE_ACCESS'),
    'it/frequent': ('INTELLIGENT_TIERING', None),
}
for key, (cls, tier) in objects.items():
    meta = {'thaw-archive-status': tier} if tier else {}
    s3.put_object(Bucket='src', Key=key, Body=b'x' * 10, StorageClass=cls, Metadata=meta)

assert error_code(s3.get_bucket_inventory_configuration, Bucket='src', Id='daily') == \
    ('NoSuchConfiguration', 404)
config = {
    'Destination': {'S3BucketDestination': {'Bucket': 'arn:aws:s3:::reports', 'Format': 'CSV',
                                            'Prefix': 'inv'}},
    'IsEnabled': True, 'Id': 'daily', 'IncludedObjectVersions': 'Current',
    'OptionalFields': ['StorageClass', 'Size', 'LastModifiedDate',
                       'IntelligentTieringAccessTier', 'ETag'],
    'Schedule': {'Frequency': 'Daily'},
}
orc = json.loads(json.dumps(config))
orc['Id'] = 'orc'
orc['Destination']['S3BucketDestination']['Format'] = 'ORC'
assert error_code(s3.put_bucket_inventory_configuration, Bucket='src', Id='orc',
                  InventoryConfiguration=orc)[0] == 'NotImplemented'
s3.put_bucket_inventory_configuration(Bucket='src', Id='daily', InventoryConfiguration=config)
got = s3.get_bucket_inventory_configuration(Bucket='src', Id='daily')['InventoryConfiguration']
assert got['Id'] == 'daily' and got['Destination']['S3BucketDestination']['Prefix'] == 'inv', got
listed = s3.list_bucket_inventory_configurations(Bucket='src')['InventoryConfigurationList']
assert [c['Id'] for c in listed] == ['daily'], listed


def manifests():
    r = s3.list_objects_v2(Bucket='reports', Prefix='inv/src/daily/')
    return sorted(o['Key'] for o in r.get('Contents', []) if o['Key'].endswith('manifest.json'))


deadline = time.time() + 20
while not manifests() and time.time() < deadline:
    time.sleep(0.2)
first = manifests()
assert len(first) == 1, first


def check(manifest_key):
    text = s3.get_object(Bucket='reports', Key=manifest_key)['Body'].read()
    folder = manifest_key.rsplit('/', 1)[0]
    checksum = s3.get_object(Bucket='reports', Key=folder + '/manifest.checksum')['Body'].read()
    assert checksum.decode().strip() == hashlib.md5(text).hexdigest()
    m = json.loads(text)
    assert m['sourceBucket'] == 'src', m
    assert m['destinationBucket'] == 'arn:aws:s3:::reports', m
    assert m['fileFormat'] == 'CSV' and m['version'] == '2016-11-30', m
    schema = [c.strip() for c in m['fileSchema'].split(',')]
    assert schema == ['Bucket', 'Key', 'Size', 'LastModifiedDate', 'ETag', 'StorageClass',
                      'IntelligentTieringAccessTier'], schema
    rows = {}
    for f in m['files']:
        assert f['key'].startswith('inv/src/daily/data/') and f['key'].endswith('.csv.gz'), f
        body = s3.get_object(Bucket='reports', Key=f['key'])['Body'].read()
        assert hashlib.md5(body).hexdigest() == f['MD5checksum'] and len(body) == f['size']
        raw = gzip.decompress(body).decode()
        for line in raw.splitlines():
            assert line.startswith('"') and line.endswith('"'), line  # every value quoted
        for row in csv.reader(io.StringIO(raw)):
            rec = dict(zip(schema, row))
            rows[urllib.parse.unquote_plus(rec['Key'])] = rec
    assert set(rows) == set(objects), rows.keys()
    for key, (cls, tier) in objects.items():
        assert rows[key]['Bucket'] == 'src'
        assert rows[key]['StorageClass'] == cls, rows[key]
        assert rows[key]['Size'] == '10'
        want = (tier or 'FREQUENT') if cls == 'INTELLIGENT_TIERING' else ''
        assert rows[key]['IntelligentTieringAccessTier'] == want, rows[key]
        assert rows[key]['LastModifiedDate'].endswith('Z'), rows[key]
    assert ',' not in rows['cold/a b,c.dat']['Key']  # URL-encoded
    hive = s3.list_objects_v2(Bucket='reports', Prefix='inv/src/daily/hive/')
    assert hive.get('KeyCount', 0) >= 1, hive


check(first[0])
# A day of sim time later, the next daily report.
advance(ep, '25h')
deadline = time.time() + 20
while len(manifests()) < 2 and time.time() < deadline:
    time.sleep(0.2)
both = manifests()
assert len(both) == 2, both
check(both[1])
s3.delete_bucket_inventory_configuration(Bucket='src', Id='daily')
assert error_code(s3.get_bucket_inventory_configuration, Bucket='src', Id='daily') == \
    ('NoSuchConfiguration', 404)
print('manifest=' + both[1])
print('ok')
