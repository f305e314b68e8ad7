# Expedited capacity: `thaw sim --expedited unavailable` answers Expedited restores with 503
# GlacierExpeditedRetrievalNotAvailable (boto3 sees the code), other tiers still start, DEEP_ARCHIVE
# keeps its own InvalidArgument, and PUT /_thaw/expedited switches it at run time.
import sys

from simclient import admin, client, error_code

ep = sys.argv[1]
s3 = client(ep)
s3.create_bucket(Bucket='exp')
for k, c in [('g1', 'GLACIER'), ('g2', 'GLACIER'), ('d', 'DEEP_ARCHIVE')]:
    s3.put_object(Bucket='exp', Key=k, Body=b'x', StorageClass=c)
exp = {'Days': 1, 'GlacierJobParameters': {'Tier': 'Expedited'}}
std = {'Days': 1, 'GlacierJobParameters': {'Tier': 'Standard'}}
assert admin(ep, 'expedited') == 'unavailable\n'
got = error_code(s3.restore_object, Bucket='exp', Key='g1', RestoreRequest=exp)
assert got == ('GlacierExpeditedRetrievalNotAvailable', 503), got
assert 'Restore' not in s3.head_object(Bucket='exp', Key='g1')  # nothing started
assert error_code(s3.restore_object, Bucket='exp', Key='d', RestoreRequest=exp)[0] == \
    'InvalidArgument'
# The fallback a client takes: Standard starts.
assert s3.restore_object(Bucket='exp', Key='g1',
                         RestoreRequest=std)['ResponseMetadata']['HTTPStatusCode'] == 202
assert admin(ep, 'expedited', 'PUT', b'available') == 'available\n'
assert s3.restore_object(Bucket='exp', Key='g2',
                         RestoreRequest=exp)['ResponseMetadata']['HTTPStatusCode'] == 202
admin(ep, 'expedited', 'PUT', b'1')
got = error_code(s3.restore_object, Bucket='exp', Key='g1', RestoreRequest=exp)
assert got == ('GlacierExpeditedRetrievalNotAvailable', 503), got
try:
    admin(ep, 'expedited', 'PUT', b'sometimes')
    assert False
except Exception as e:
    assert '400' in str(e), e
print('ok')
