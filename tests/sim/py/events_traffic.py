# Traffic for the event-output test: a failed GET of an archived object, HEAD, a restore through
# completion and expiry (sim clock jumps), a PUT, a GET that works.
import sys

from simclient import advance, client, error_code

ep = sys.argv[1]
s3 = client(ep)
s3.create_bucket(Bucket='evb')
key = 'dir/a b+c.bin'
s3.put_object(Bucket='evb', Key=key, Body=b'archived', StorageClass='GLACIER')
s3.put_object(Bucket='evb', Key='hot.txt', Body=b'hot')
assert error_code(s3.get_object, Bucket='evb', Key=key) == ('InvalidObjectState', 403)
s3.head_object(Bucket='evb', Key=key)
s3.restore_object(Bucket='evb', Key=key,
                  RestoreRequest={'Days': 2, 'GlacierJobParameters': {'Tier': 'Standard'}})
advance(ep, '6h')
assert 'ongoing-request="false"' in s3.head_object(Bucket='evb', Key=key)['Restore']
assert s3.get_object(Bucket='evb', Key=key)['Body'].read() == b'archived'
advance(ep, '4d')
assert 'Restore' not in s3.head_object(Bucket='evb', Key=key)
assert s3.get_object(Bucket='evb', Key='hot.txt')['Body'].read() == b'hot'
print('ok')
