# Keys made of or framed by whitespace (spaces, tabs, newlines) survive every XML body and
# listing: PutObject, ListObjectsV2 (both encodings), CopyObject, DeleteObjects, and a lifecycle
# rule whose prefix is a space. Run against thaw sim and moto alike (same expectations).
#
#   whitespace_keys.py ENDPOINT [--moto]
#
# --moto leaves out what moto_server gets wrong and S3 does not: keys with a line feed (its URL
# routing answers 404 to a path holding %0A) and the lifecycle prefix " " (it comes back "").
import sys
import os
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from simclient import client  # noqa: E402

KEYS = [' lead', 'trail ', '  both  ', ' ', '   ', '\t', 'tab\tin', '\tlead-tab', '\nnl', 'nl\n',
        '\n', 'a\n b', 'dir/ x /y ', ' \t\n ']
BUCKET = 'ws-keys'


def listed(s3, prefix='', encoded=True):
    kwargs = {'Bucket': BUCKET, 'Prefix': prefix}
    if not encoded:
        # botocore adds EncodingType=url and decodes by itself unless the caller chose it;
        # asking for none makes the keys travel as raw XML text.
        s3.meta.events.register('before-parameter-build.s3.ListObjectsV2', _no_encoding)
    out = []
    for page in s3.get_paginator('list_objects_v2').paginate(**kwargs):
        out += [o['Key'] for o in page.get('Contents', [])]
    if not encoded:
        s3.meta.events.unregister('before-parameter-build.s3.ListObjectsV2', _no_encoding)
    return sorted(out)


def _no_encoding(params, **kwargs):
    params.pop('EncodingType', None)


def main():
    global KEYS
    s3 = client(sys.argv[1])
    moto = '--moto' in sys.argv[2:]
    if moto:
        KEYS = [k for k in KEYS if '\n' not in k]
    s3.create_bucket(Bucket=BUCKET)
    failures = []
    for k in KEYS:
        s3.put_object(Bucket=BUCKET, Key=k, Body=k.encode())
    want = sorted(KEYS)
    got = listed(s3)
    if got != want:
        failures.append('list (encoding-type=url): %r != %r' % (got, want))
    got = listed(s3, encoded=False)
    if got != want:
        failures.append('list (raw XML): %r != %r' % (got, want))
    got = listed(s3, prefix=' ')
    if got != sorted(k for k in KEYS if k.startswith(' ')):
        failures.append('list prefix " ": %r' % got)
    for k in KEYS:
        s3.copy_object(Bucket=BUCKET, Key='copy/' + k,
                       CopySource={'Bucket': BUCKET, 'Key': k})
        body = s3.get_object(Bucket=BUCKET, Key='copy/' + k)['Body'].read()
        if body != k.encode():
            failures.append('copy of %r holds %r' % (k, body))
    got = listed(s3, prefix='copy/')
    if got != sorted('copy/' + k for k in KEYS):
        failures.append('copies listed as %r' % got)
    # A lifecycle rule's prefix is XML text too: " " stays " ".
    s3.put_bucket_lifecycle_configuration(Bucket=BUCKET, LifecycleConfiguration={'Rules': [{
        'ID': 'space', 'Status': 'Enabled', 'Filter': {'Prefix': ' '},
        'Transitions': [{'Days': 30, 'StorageClass': 'GLACIER'}]}]})
    rule = s3.get_bucket_lifecycle_configuration(Bucket=BUCKET)['Rules'][0]
    if rule.get('Filter', {}).get('Prefix') != ' ' and not moto:
        failures.append('lifecycle prefix came back as %r' % rule.get('Filter'))
    everything = KEYS + ['copy/' + k for k in KEYS]
    resp = s3.delete_objects(Bucket=BUCKET, Delete={'Objects': [{'Key': k} for k in everything]})
    deleted = sorted(d['Key'] for d in resp.get('Deleted', []))
    if deleted != sorted(everything):
        failures.append('DeleteObjects reported %r' % deleted)
    if resp.get('Errors'):
        failures.append('DeleteObjects errors: %r' % resp['Errors'])
    left = listed(s3)
    if left:
        failures.append('left after DeleteObjects: %r' % left)
    s3.delete_bucket_lifecycle(Bucket=BUCKET)
    s3.delete_bucket(Bucket=BUCKET)
    for f in failures:
        print('FAIL', f)
    print('%d keys, %d failures' % (len(KEYS), len(failures)))
    sys.exit(1 if failures else 0)


if __name__ == '__main__':
    main()
