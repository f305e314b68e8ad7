# Clients we did not write reading and writing through the sim: rclone (copy both ways, md5sum,
# an archived object refused) and s3fs (a real FUSE mount: list, read, write; needs root and
# /dev/fuse). Contents are compared by SHA-256 with what boto3 put. The mount is always
# unmounted, also when a check fails.
import hashlib
import os
import subprocess
import sys
import tempfile
import time

from simclient import client

ep, which = sys.argv[1], sys.argv[2]
s3 = client(ep)
bucket = 'foreign-' + which
s3.create_bucket(Bucket=bucket)
files = {
    'small.txt': b'hello from thaw sim\n',
    'dir/odd name (1)+x.bin': os.urandom(300 * 1024),
    'dir/sub/big.bin': os.urandom(9 * 1024 * 1024 + 7),
}
for k, v in files.items():
    s3.put_object(Bucket=bucket, Key=k, Body=v)
s3.put_object(Bucket=bucket, Key='cold/archived.bin', Body=b'frozen', StorageClass='GLACIER')
sha = {k: hashlib.sha256(v).hexdigest() for k, v in files.items()}
work = tempfile.mkdtemp(prefix='thaw-foreign-')


def run(cmd, env=None, check=True):
    r = subprocess.run(cmd, capture_output=True, env=env, timeout=120)
    if check and r.returncode != 0:
        raise AssertionError((cmd, r.returncode, r.stdout[-2000:], r.stderr[-2000:]))
    return r


def tree_sha(root, keys):
    return {k: hashlib.sha256(open(os.path.join(root, k), 'rb').read()).hexdigest() for k in keys}


if which == 'rclone':
    # rclone's AWS SDK refuses AWS_CA_BUNDLE with its own transport; the sim is plain http.
    env = {k: v for k, v in os.environ.items() if not k.startswith('AWS_')}
    env.update(RCLONE_CONFIG_SIM_TYPE='s3', RCLONE_CONFIG_SIM_PROVIDER='Other',
               RCLONE_CONFIG_SIM_ENDPOINT=ep, RCLONE_CONFIG_SIM_ACCESS_KEY_ID='testing',
               RCLONE_CONFIG_SIM_SECRET_ACCESS_KEY='testing', RCLONE_CONFIG_SIM_REGION='us-east-1',
               RCLONE_CONFIG_SIM_FORCE_PATH_STYLE='true', RCLONE_CONFIG='/nonexistent')
    dst = os.path.join(work, 'down')
    run(['rclone', 'copy', f'sim:{bucket}', dst, '--exclude', 'cold/**'], env)
    assert tree_sha(dst, files) == sha
    out = run(['rclone', 'md5sum', f'sim:{bucket}', '--exclude', 'cold/**'], env).stdout.decode()
    md5 = {line.split('  ', 1)[1]: line.split('  ', 1)[0] for line in out.splitlines()}
    assert md5 == {k: hashlib.md5(v).hexdigest() for k, v in files.items()}, md5
    # Upload a tree back (multipart for the big file: rclone's cutoff is 200 MiB, so force it).
    up = os.path.join(work, 'up')
    os.makedirs(os.path.join(up, 'nested'))
    blob = os.urandom(12 * 1024 * 1024)
    open(os.path.join(up, 'nested', 'blob.bin'), 'wb').write(blob)
    run(['rclone', 'copy', up, f'sim:{bucket}/uploaded', '--s3-upload-cutoff', '5M',
         '--s3-chunk-size', '5M'], env)
    got = s3.get_object(Bucket=bucket, Key='uploaded/nested/blob.bin')['Body'].read()
    assert hashlib.sha256(got).digest() == hashlib.sha256(blob).digest()
    r = run(['rclone', 'cat', f'sim:{bucket}/cold/archived.bin', '--low-level-retries', '1',
             '--retries', '1'], env, check=False)
    # rclone reads the class from HEAD and refuses before GET: 'Object in GLACIER, restore first'
    assert r.returncode != 0 and b'GLACIER' in r.stderr, r
    print('ok')
elif which == 's3fs':
    passwd = os.path.join(work, 'passwd')
    open(passwd, 'w').write('testing:testing\n')
    os.chmod(passwd, 0o600)
    mnt = os.path.join(work, 'mnt')
    os.makedirs(mnt)
    run(['s3fs', bucket, mnt, '-o', f'url={ep},use_path_request_style,passwd_file={passwd},'
         'endpoint=us-east-1,stat_cache_expire=1,retries=1'])
    try:
        deadline = time.time() + 20
        while not os.path.ismount(mnt) and time.time() < deadline:
            time.sleep(0.1)
        assert os.path.ismount(mnt)
        assert sorted(os.listdir(mnt)) == ['cold', 'dir', 'small.txt'], os.listdir(mnt)
        assert tree_sha(mnt, files) == sha
        assert os.path.getsize(os.path.join(mnt, 'dir/sub/big.bin')) == len(files['dir/sub/big.bin'])
        with open(os.path.join(mnt, 'written by s3fs.txt'), 'wb') as f:
            f.write(b'through the mount')
        got = s3.get_object(Bucket=bucket, Key='written by s3fs.txt')['Body'].read()
        assert got == b'through the mount', got
        try:
            open(os.path.join(mnt, 'cold/archived.bin'), 'rb').read()
            assert False, 'an archived object must not be readable'
        except OSError:
            pass
    finally:
        subprocess.run(['umount', mnt], capture_output=True)
        if os.path.ismount(mnt):
            subprocess.run(['umount', '-l', mnt], capture_output=True)
    assert not os.path.ismount(mnt)
    print('ok')
