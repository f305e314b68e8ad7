# Lifecycle rules for noncurrent versions: NoncurrentVersionTransitions send a version to
# GLACIER / DEEP_ARCHIVE NoncurrentDays after it stopped being current, and
# NoncurrentVersionExpiration removes it; the current version is left alone, and an archived
# version is restored by its id. On moto (no clock to advance) only the configuration's round
# trip is checked.
#
#   lifecycle_noncurrent.py ENDPOINT [--moto]
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from simclient import advance, check, client, error_code, finish  # noqa: E402


def storage_class(s3, b, key, version):
    return s3.head_object(Bucket=b, Key=key, VersionId=version).get('StorageClass', 'STANDARD')


def wait_for(fn, want, seconds=15):
    got = None
    deadline = time.time() + seconds
    while time.time() < deadline:
        got = fn()
        if got == want:
            return got
        time.sleep(0.2)
    return got


def main():
    endpoint = sys.argv[1]
    s3 = client(endpoint)
    moto = '--moto' in sys.argv[2:]
    b = 'noncurrent-lc'
    s3.create_bucket(Bucket=b)
    s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={'Status': 'Enabled'})
    rules = [{'ID': 'old-versions', 'Status': 'Enabled', 'Filter': {'Prefix': 'logs/'},
              'NoncurrentVersionTransitions': [
                  {'NoncurrentDays': 30, 'StorageClass': 'GLACIER'},
                  {'NoncurrentDays': 180, 'StorageClass': 'DEEP_ARCHIVE'}],
              'NoncurrentVersionExpiration': {'NoncurrentDays': 365}}]
    s3.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration={'Rules': rules})
    got = s3.get_bucket_lifecycle_configuration(Bucket=b)['Rules']
    check(len(got) == 1 and len(got[0].get('NoncurrentVersionTransitions', [])) == 2 and
          got[0].get('NoncurrentVersionExpiration', {}).get('NoncurrentDays') == 365,
          'configuration round trip: %r' % got)
    if moto:
        finish()

    v1 = s3.put_object(Bucket=b, Key='logs/a', Body=b'one')['VersionId']
    v2 = s3.put_object(Bucket=b, Key='logs/a', Body=b'two')['VersionId']
    o1 = s3.put_object(Bucket=b, Key='other', Body=b'one')['VersionId']
    s3.put_object(Bucket=b, Key='other', Body=b'two')
    advance(endpoint, '%dh' % (10 * 24))
    time.sleep(1.5)  # a sweep or two
    check(storage_class(s3, b, 'logs/a', v1) == 'STANDARD', 'not yet due after 10 days')
    advance(endpoint, '%dh' % (22 * 24))  # 32 days noncurrent
    got = wait_for(lambda: storage_class(s3, b, 'logs/a', v1), 'GLACIER')
    check(got == 'GLACIER', 'noncurrent version in GLACIER after 30 days: %s' % got)
    check(storage_class(s3, b, 'logs/a', v2) == 'STANDARD', 'the current version stays')
    check(storage_class(s3, b, 'other', o1) == 'STANDARD', 'outside the filter stays')
    code, status = error_code(s3.get_object, Bucket=b, Key='logs/a', VersionId=v1)
    check((code, status) == ('InvalidObjectState', 403), 'GET of the archived version: %s %s'
          % (code, status))
    listed = {(v['Key'], v['VersionId']): v['StorageClass']
              for v in s3.list_object_versions(Bucket=b).get('Versions', [])}
    check(listed.get(('logs/a', v1)) == 'GLACIER', 'ListObjectVersions shows the class')
    # Restored by version id, on the sim clock.
    s3.restore_object(Bucket=b, Key='logs/a', VersionId=v1,
                      RestoreRequest={'Days': 2, 'GlacierJobParameters': {'Tier': 'Expedited'}})
    advance(endpoint, '1h')
    body = wait_for(lambda: error_code(s3.get_object, Bucket=b, Key='logs/a', VersionId=v1)[1],
                    200)
    check(body == 200, 'restored version readable: %s' % body)
    check(s3.get_object(Bucket=b, Key='logs/a', VersionId=v1)['Body'].read() == b'one',
          'restored bytes')
    advance(endpoint, '%dh' % (150 * 24))  # 182 days noncurrent
    got = wait_for(lambda: storage_class(s3, b, 'logs/a', v1), 'DEEP_ARCHIVE')
    check(got == 'DEEP_ARCHIVE', 'DEEP_ARCHIVE after 180 days: %s' % got)
    advance(endpoint, '%dh' % (190 * 24))  # 372 days noncurrent: expired
    gone = wait_for(lambda: error_code(s3.head_object, Bucket=b, Key='logs/a',
                                       VersionId=v1)[1], 404)
    check(gone == 404, 'expired version removed: %s' % gone)
    check(s3.get_object(Bucket=b, Key='logs/a')['Body'].read() == b'two', 'current intact')
    keys = [(v['Key'], v['VersionId']) for v in s3.list_object_versions(Bucket=b)['Versions']]
    check(('logs/a', v1) not in keys and ('logs/a', v2) in keys, 'versions left: %r' % keys)
    code, status = error_code(
        s3.put_bucket_lifecycle_configuration, Bucket=b, LifecycleConfiguration={'Rules': [
            {'ID': 'n', 'Status': 'Enabled', 'Filter': {'Prefix': ''},
             'NoncurrentVersionExpiration': {'NoncurrentDays': 1, 'NewerNoncurrentVersions': 2}}]})
    check((code, status) == ('NotImplemented', 501), 'NewerNoncurrentVersions: %s %s'
          % (code, status))
    finish()


if __name__ == '__main__':
    main()
