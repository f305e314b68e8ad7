# Bucket lifecycle on the scaled clock: Put/Get/DeleteBucketLifecycleConfiguration through boto3,
# Transition rules filtered by Prefix, Tag and And, applied when the sim clock passes
# creation + Days (rounded up to 00:00 UTC): archived objects answer GET with 403
# InvalidObjectState and list with their new class. Phase "check" (after a restart) verifies the
# configuration and the transitions persisted.
import sys

from simclient import admin, advance, client, error_code

ep, phase = sys.argv[1], sys.argv[2]
s3 = client(ep)
if phase == 'setup':
    s3.create_bucket(Bucket='cold')
    assert error_code(s3.get_bucket_lifecycle_configuration, Bucket='cold') == \
        ('NoSuchLifecycleConfiguration', 404)
    rules = [
        {'ID': 'logs', 'Status': 'Enabled', 'Filter': {'Prefix': 'logs/'},
         'Transitions': [{'Days': 1, 'StorageClass': 'GLACIER'},
                         {'Days': 30, 'StorageClass': 'DEEP_ARCHIVE'}]},
        {'ID': 'tagged', 'Status': 'Enabled',
         'Filter': {'Tag': {'Key': 'tier', 'Value': 'cold'}},
         'Transitions': [{'Days': 2, 'StorageClass': 'GLACIER_IR'}]},
        {'ID': 'and', 'Status': 'Enabled',
         'Filter': {'And': {'Prefix': 'data/', 'Tags': [{'Key': 'a', 'Value': '1'},
                                                         {'Key': 'b', 'Value': '2'}]}},
         'Transitions': [{'Days': 0, 'StorageClass': 'STANDARD_IA'},
                         {'Days': 3, 'StorageClass': 'INTELLIGENT_TIERING'}]},
        {'ID': 'off', 'Status': 'Disabled', 'Filter': {'Prefix': ''},
         'Transitions': [{'Days': 0, 'StorageClass': 'DEEP_ARCHIVE'}]},
    ]
    s3.put_bucket_lifecycle_configuration(Bucket='cold',
                                          LifecycleConfiguration={'Rules': rules})
    got = s3.get_bucket_lifecycle_configuration(Bucket='cold')['Rules']
    assert [r['ID'] for r in got] == ['logs', 'tagged', 'and', 'off'], got
    assert got[0]['Transitions'][1] == {'Days': 30, 'StorageClass': 'DEEP_ARCHIVE'}, got
    s3.put_object(Bucket='cold', Key='logs/app.log', Body=b'log line')
    s3.put_object(Bucket='cold', Key='misc/tagged', Body=b't', Tagging='tier=cold')
    s3.put_object(Bucket='cold', Key='data/both', Body=b'd', Tagging='a=1&b=2')
    s3.put_object(Bucket='cold', Key='data/one', Body=b'd', Tagging='a=1')
    s3.put_object(Bucket='cold', Key='misc/plain', Body=b'p')
    assert s3.head_object(Bucket='cold', Key='misc/tagged')['ResponseMetadata'][
        'HTTPHeaders']['x-amz-tagging-count'] == '1'
    # A bad configuration is refused and leaves the old one.
    bad = [{'ID': 'x', 'Status': 'Enabled', 'Filter': {'Prefix': ''},
            'Transitions': [{'Days': 1, 'StorageClass': 'NOPE'}]}]
    assert error_code(s3.put_bucket_lifecycle_configuration, Bucket='cold',
                      LifecycleConfiguration={'Rules': bad})[1] == 400
    assert s3.get_object(Bucket='cold', Key='logs/app.log')['Body'].read() == b'log line'

    def classes():
        return {o['Key']: o['StorageClass']
                for o in s3.list_objects_v2(Bucket='cold')['Contents']}

    assert classes()['logs/app.log'] == 'STANDARD'
    advance(ep, '48h')  # creation + 1 day, rounded up to midnight, is at most 48 h away
    assert s3.head_object(Bucket='cold', Key='logs/app.log')['StorageClass'] == 'GLACIER'
    assert error_code(s3.get_object, Bucket='cold', Key='logs/app.log') == \
        ('InvalidObjectState', 403)
    c = classes()
    assert c['data/both'] == 'STANDARD_IA' and c['data/one'] == 'STANDARD', c
    assert c['misc/plain'] == 'STANDARD' and c['misc/tagged'] == 'STANDARD', c
    advance(ep, '24h')
    c = classes()
    assert c['misc/tagged'] == 'GLACIER_IR', c
    assert s3.get_object(Bucket='cold', Key='misc/tagged')['Body'].read() == b't'
    advance(ep, '24h')
    c = classes()
    assert c['data/both'] == 'INTELLIGENT_TIERING' and c['logs/app.log'] == 'GLACIER', c
    print('ok')
elif phase == 'check':
    assert [r['ID'] for r in s3.get_bucket_lifecycle_configuration(Bucket='cold')['Rules']] == \
        ['logs', 'tagged', 'and', 'off']
    advance(ep, '30d')
    h = s3.head_object(Bucket='cold', Key='logs/app.log')
    assert h['StorageClass'] == 'DEEP_ARCHIVE', (h['LastModified'], admin(ep, 'time'))
    assert 'StorageClass' not in s3.head_object(Bucket='cold', Key='misc/plain')
    s3.delete_bucket_lifecycle(Bucket='cold')
    assert error_code(s3.get_bucket_lifecycle_configuration, Bucket='cold')[0] == \
        'NoSuchLifecycleConfiguration'
    s3.put_object(Bucket='cold', Key='logs/new.log', Body=b'n')
    advance(ep, '40d')
    assert 'StorageClass' not in s3.head_object(Bucket='cold', Key='logs/new.log')
    print('ok')
