// thaw sim as a user runs it: the real binary as a child process, driven by clients we did not
// write (boto3, curl). Covers the API round trip, archive rules, SigV4 refusals, presigned URLs,
// restart persistence and fault rules. The aws CLI (v1 and v2) has sim_aws_cli_test.cc.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include "sim/sim_harness.h"
#include "support/boto3.h"
#include "support/process.h"
#include "support/test_env.h"

namespace thaw::testing {
namespace {

// botocore sends `Expect: 100-continue` with every PutObject, even an empty one, and misreads
// a kept-alive connection's next response if the first was answered without 100 Continue.
TEST(SimProcess, EmptyAndTinyPutsOnOneBotocoreConnectionDoNotStall) {
  TempDir dir;
  Sim sim(dir.path() + "/data");
  ASSERT_FALSE(sim.endpoint().empty()) << sim.Log();
  Boto(sim,
       "c = boto3.client('s3', endpoint_url=s3.meta.endpoint_url, region_name='us-east-1',\n"
       "    aws_access_key_id='testing', aws_secret_access_key='testing',\n"
       "    config=Config(read_timeout=10, retries={'total_max_attempts': 1}))\n"
       "c.create_bucket(Bucket='tiny')\n"
       "bodies = [b'', b'x', b'', b'xy', b'x', b'']\n"
       "for i, body in enumerate(bodies):\n"
       "    c.put_object(Bucket='tiny', Key='k%d' % i, Body=body)\n"
       "for i, body in enumerate(bodies):\n"
       "    assert c.get_object(Bucket='tiny', Key='k%d' % i)['Body'].read() == body\n");
}

// Clients hang up mid-body all the time (rclone's random reads, a cancelled download): the
// server's sendfile then hits a closed socket, which must fail that write, not the process.
TEST(SimProcess, ClientsHangingUpMidBodyDoNotStopTheServer) {
  TempDir dir;
  Sim sim(dir.path() + "/data");
  ASSERT_FALSE(sim.endpoint().empty()) << sim.Log();
  Boto(sim,
       "import socket, urllib.parse\n"
       "s3.create_bucket(Bucket='hangup')\n"
       "s3.put_object(Bucket='hangup', Key='big', Body=b'x' * (32 << 20))\n"
       "url = s3.generate_presigned_url('get_object', Params={'Bucket': 'hangup', 'Key': 'big'})\n"
       "u = urllib.parse.urlsplit(url)\n"
       "for i in range(20):\n"
       "    c = socket.create_connection((u.hostname, u.port))\n"
       "    c.sendall(('GET %s?%s HTTP/1.1\\r\\nHost: %s\\r\\n\\r\\n' % (u.path, u.query, "
       "u.netloc)).encode())\n"
       "    assert c.recv(4096).startswith(b'HTTP/1.1 200'), i\n"
       "    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, "
       "b'\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00')\n"
       "    c.close()  # RST with most of the body unsent\n"
       "assert s3.head_object(Bucket='hangup', Key='big')['ContentLength'] == 32 << 20\n");
  EXPECT_TRUE(sim.running()) << sim.Log();
}

TEST(SimProcess, PrintsEndpointAndServesBoto3RoundTrip) {
  TempDir dir;
  Sim sim(dir.path() + "/data");
  ASSERT_FALSE(sim.endpoint().empty()) << sim.Log();
  std::string out = Boto(
      sim,
      "from botocore.exceptions import ClientError\n"
      "s3.create_bucket(Bucket='rtrip')\n"
      "assert s3.head_bucket(Bucket='rtrip')['ResponseMetadata']['HTTPStatusCode'] == 200\n"
      "r = s3.put_object(Bucket='rtrip', Key='a/b c+d.txt', Body=b'0123456789', Metadata={'k': "
      "'v'},\n"
      "                  ContentMD5='eB5eJF1ptWaXm4bijSPyxw==')\n"
      "o = s3.get_object(Bucket='rtrip', Key='a/b c+d.txt')\n"
      "assert o['Body'].read() == b'0123456789' and o['Metadata'] == {'k': 'v'}\n"
      "assert s3.get_object(Bucket='rtrip', Key='a/b c+d.txt', Range='bytes=-3')['Body'].read() == "
      "b'789'\n"
      "assert s3.get_object(Bucket='rtrip', Key='a/b c+d.txt', Range='bytes=7-')['Body'].read() == "
      "b'789'\n"
      "try:\n"
      "    s3.get_object(Bucket='rtrip', Key='a/b c+d.txt', Range='bytes=50-'); assert False\n"
      "except ClientError as e: assert e.response['Error']['Code'] == 'InvalidRange', e.response\n"
      "try:\n"
      "    s3.get_object(Bucket='rtrip', Key='a/b c+d.txt', IfNoneMatch=r['ETag']); assert False\n"
      "except ClientError as e: assert e.response['ResponseMetadata']['HTTPStatusCode'] == 304\n"
      "try:\n"
      "    s3.put_object(Bucket='rtrip', Key='x', Body=b'abc', "
      "ContentMD5='eB5eJF1ptWaXm4bijSPyxw=='); assert False\n"
      "except ClientError as e: assert e.response['Error']['Code'] == 'BadDigest', e.response\n"
      "try:\n"
      "    s3.delete_bucket(Bucket='rtrip'); assert False\n"
      "except ClientError as e: assert e.response['Error']['Code'] == 'BucketNotEmpty'\n"
      "for i in range(5): s3.put_object(Bucket='rtrip', Key=f'p/{i}', Body=b'x')\n"
      "keys = []\n"
      "for page in s3.get_paginator('list_objects_v2').paginate(Bucket='rtrip', Prefix='p/', "
      "PaginationConfig={'PageSize': 2}):\n"
      "    keys += [c['Key'] for c in page.get('Contents', [])]\n"
      "assert keys == [f'p/{i}' for i in range(5)], keys\n"
      "v1 = s3.list_objects(Bucket='rtrip', Delimiter='/')\n"
      "assert [p['Prefix'] for p in v1['CommonPrefixes']] == ['a/', 'p/'], v1\n"
      "s3.copy_object(Bucket='rtrip', Key='copy', CopySource={'Bucket': 'rtrip', 'Key': 'a/b "
      "c+d.txt'})\n"
      "assert s3.get_object(Bucket='rtrip', Key='copy')['Body'].read() == b'0123456789'\n"
      "d = s3.delete_objects(Bucket='rtrip', Delete={'Objects': [{'Key': f'p/{i}'} for i in "
      "range(5)]})\n"
      "assert len(d['Deleted']) == 5\n"
      "try:\n"
      "    s3.get_object(Bucket='rtrip', Key='nope'); assert False\n"
      "except ClientError as e:\n"
      "    assert e.response['Error']['Code'] == 'NoSuchKey' and "
      "e.response['Error'].get('RequestId') or True\n"
      "print('ok')\n");
  EXPECT_NE(out.find("ok"), std::string::npos) << out;
}

TEST(SimProcess, DelimiterListingsMatchAReferenceGroupingAtEveryPageSize) {
  // Files and "directories" interleaved, runs longer than the sim's first row batches (it reads
  // rows in growing batches when grouping): every page size gives what grouping all keys says.
  TempDir dir;
  Sim sim(dir.path() + "/data");
  ASSERT_FALSE(sim.endpoint().empty()) << sim.Log();
  std::string out = Boto(
      sim,
      "s3.create_bucket(Bucket='grp')\n"
      "keys = [f'f{i:03d}' for i in range(70)]\n"
      "keys += [f'f{i:03d}/x{j}' for i in range(0, 70, 3) for j in range(40 if i == 9 else 2)]\n"
      "keys += [f'z/{i}' for i in range(50)] + ['z', 'z0', 'a/b/c', 'a/d']\n"
      "for k in keys: s3.put_object(Bucket='grp', Key=k, Body=b'')\n"
      "def ref(prefix):\n"
      "    files, dirs = [], []\n"
      "    for k in sorted(keys):\n"
      "        if not k.startswith(prefix): continue\n"
      "        rest = k[len(prefix):]\n"
      "        if '/' in rest:\n"
      "            d = prefix + rest.split('/')[0] + '/'\n"
      "            if d not in dirs: dirs.append(d)\n"
      "        else: files.append(k)\n"
      "    return files, dirs\n"
      "for prefix in ['', 'f009/', 'z/', 'a/']:\n"
      "    for size in [1, 2, 7, 16, 17, 33, 1000]:\n"
      "        files, dirs = [], []\n"
      "        for page in s3.get_paginator('list_objects_v2').paginate(\n"
      "                Bucket='grp', Prefix=prefix, Delimiter='/', PaginationConfig={'PageSize': "
      "size}):\n"
      "            assert page['KeyCount'] <= size, page\n"
      "            files += [c['Key'] for c in page.get('Contents', [])]\n"
      "            dirs += [p['Prefix'] for p in page.get('CommonPrefixes', [])]\n"
      "        assert (files, dirs) == ref(prefix), (prefix, size, files, dirs)\n"
      "        v1f, v1d = [], []\n"
      "        for page in s3.get_paginator('list_objects').paginate(\n"
      "                Bucket='grp', Prefix=prefix, Delimiter='/', PaginationConfig={'PageSize': "
      "size}):\n"
      "            v1f += [c['Key'] for c in page.get('Contents', [])]\n"
      "            v1d += [p['Prefix'] for p in page.get('CommonPrefixes', [])]\n"
      "        assert (v1f, v1d) == ref(prefix), ('v1', prefix, size, v1f, v1d)\n"
      "print('ok')\n");
  EXPECT_NE(out.find("ok"), std::string::npos) << out;
}

TEST(SimProcess, Boto3AwsChunkedUploadsWithChecksumTrailers) {
  // botocore's own aws-chunked encoder with trailing CRC32/SHA1/SHA256 (PutObject, UploadPart),
  // a tampered trailer refused with BadDigest, a wrong secret refused (tests/sim/py).
  TempDir dir;
  Sim sim(dir.path() + "/data");
  ASSERT_FALSE(sim.endpoint().empty()) << sim.Log();
  EXPECT_NE(RunPy(sim, "aws_chunked_trailer.py").find("ok"), std::string::npos);
}

TEST(SimProcess, ArchiveRulesDeepArchiveAndIntelligentTiering) {
  TempDir dir;
  Sim sim(dir.path() + "/data", {"--time-scale", "100000"});
  ASSERT_FALSE(sim.endpoint().empty());
  std::string out = Boto(
      sim,
      "import time\n"
      "from botocore.exceptions import ClientError\n"
      "def code(f):\n"
      "    try: f(); return 'OK'\n"
      "    except ClientError as e: return (e.response['Error']['Code'], "
      "e.response['ResponseMetadata']['HTTPStatusCode'], e.response['Error'])\n"
      "s3.create_bucket(Bucket='arch')\n"
      "s3.put_object(Bucket='arch', Key='deep', Body=b'd', StorageClass='DEEP_ARCHIVE')\n"
      "s3.put_object(Bucket='arch', Key='it', Body=b'i', StorageClass='INTELLIGENT_TIERING', "
      "Metadata={'thaw-archive-status': 'ARCHIVE_ACCESS'})\n"
      "s3.put_object(Bucket='arch', Key='hot', Body=b'h')\n"
      "c = code(lambda: s3.get_object(Bucket='arch', Key='deep'))\n"
      "assert c[0] == 'InvalidObjectState' and c[1] == 403 and c[2]['StorageClass'] == "
      "'DEEP_ARCHIVE', c\n"
      "c = code(lambda: s3.get_object(Bucket='arch', Key='it'))\n"
      "assert c[0] == 'InvalidObjectState' and c[2].get('AccessTier') == 'ARCHIVE_ACCESS', c\n"
      "h = s3.head_object(Bucket='arch', Key='it')\n"
      "assert h['StorageClass'] == 'INTELLIGENT_TIERING' and h['ArchiveStatus'] == "
      "'ARCHIVE_ACCESS', h\n"
      // As S3: RestoreStatus only where a restore exists; an unknown attribute name refused.
      "lst = s3.list_objects_v2(Bucket='arch', OptionalObjectAttributes=['RestoreStatus'])\n"
      "assert all('RestoreStatus' not in o for o in lst['Contents']), lst\n"
      "c = code(lambda: s3.list_objects_v2(Bucket='arch', OptionalObjectAttributes=['Owner']))\n"
      "assert c[0] == 'InvalidArgument' and c[1] == 400, c\n"
      "assert c[2]['Message'] == 'Invalid attribute name specified', c\n"
      "c = code(lambda: s3.restore_object(Bucket='arch', Key='deep', RestoreRequest={'Days': 1, "
      "'GlacierJobParameters': {'Tier': 'Expedited'}}))\n"
      "assert c[0] == 'InvalidArgument' and c[1] == 400, c\n"
      "c = code(lambda: s3.restore_object(Bucket='arch', Key='deep', "
      "RestoreRequest={'GlacierJobParameters': {'Tier': 'Bulk'}}))\n"
      "assert c[1] == 400, c\n"
      "c = code(lambda: s3.restore_object(Bucket='arch', Key='it', RestoreRequest={'Days': 1, "
      "'GlacierJobParameters': {'Tier': 'Standard'}}))\n"
      "assert c[0] == 'InvalidArgument', c\n"
      "c = code(lambda: s3.restore_object(Bucket='arch', Key='hot', RestoreRequest={'Days': 1}))\n"
      "assert c[0] == 'InvalidObjectState' and c[1] == 403, c\n"
      "r = s3.restore_object(Bucket='arch', Key='it', RestoreRequest={'GlacierJobParameters': "
      "{'Tier': 'Expedited'}})\n"
      "assert r['ResponseMetadata']['HTTPStatusCode'] == 202\n"
      "r = s3.restore_object(Bucket='arch', Key='deep', RestoreRequest={'Days': 3, "
      "'GlacierJobParameters': {'Tier': 'Standard'}})\n"
      "assert r['ResponseMetadata']['HTTPStatusCode'] == 202\n"
      "lst = s3.list_objects_v2(Bucket='arch', OptionalObjectAttributes=['RestoreStatus'])\n"
      "deep = [c for c in lst['Contents'] if c['Key'] == 'deep'][0]\n"
      "assert deep['RestoreStatus']['IsRestoreInProgress'] is True, deep\n"
      "time.sleep(1.0)\n"
      "assert s3.get_object(Bucket='arch', Key='it')['Body'].read() == b'i'\n"
      "assert 'ArchiveStatus' not in s3.head_object(Bucket='arch', Key='it')\n"
      "assert s3.get_object(Bucket='arch', Key='deep')['Body'].read() == b'd'\n"
      "r = s3.restore_object(Bucket='arch', Key='deep', RestoreRequest={'Days': 3, "
      "'GlacierJobParameters': {'Tier': 'Standard'}})\n"
      "assert r['ResponseMetadata']['HTTPStatusCode'] == 200\n"
      "s3.copy_object(Bucket='arch', Key='deep', CopySource={'Bucket': 'arch', 'Key': 'deep'}, "
      "StorageClass='STANDARD')\n"
      "assert 'StorageClass' not in s3.head_object(Bucket='arch', Key='deep')\n"
      "print('ok')\n");
  EXPECT_NE(out.find("ok"), std::string::npos) << out;
}

TEST(SimProcess, SigV4RefusalsAndPresignedUrls) {
  TempDir dir;
  Sim sim(dir.path() + "/data");
  ASSERT_FALSE(sim.endpoint().empty());
  std::string out = Boto(
      sim,
      "import subprocess, time\n"
      "from botocore.exceptions import ClientError\n"
      "s3.create_bucket(Bucket='sig')\n"
      "s3.put_object(Bucket='sig', Key='k', Body=b'secret data')\n"
      "def code(client):\n"
      "    try: client.get_object(Bucket='sig', Key='k'); return 'OK'\n"
      "    except ClientError as e: return e.response['Error']['Code']\n"
      "cfg = Config(s3={'addressing_style': 'path'}, retries={'total_max_attempts': 1})\n"
      "bad = boto3.client('s3', endpoint_url=s3.meta.endpoint_url, region_name='us-east-1', "
      "aws_access_key_id='testing', aws_secret_access_key='wrong', config=cfg)\n"
      "assert code(bad) == 'SignatureDoesNotMatch', code(bad)\n"
      "unk = boto3.client('s3', endpoint_url=s3.meta.endpoint_url, region_name='us-east-1', "
      "aws_access_key_id='nobody', aws_secret_access_key='testing', config=cfg)\n"
      "assert code(unk) == 'InvalidAccessKeyId'\n"
      "v4 = boto3.client('s3', endpoint_url=s3.meta.endpoint_url, region_name='us-east-1', "
      "aws_access_key_id='testing', aws_secret_access_key='testing', "
      "config=Config(signature_version='s3v4', s3={'addressing_style': 'path'}))\n"
      "url = v4.generate_presigned_url('get_object', Params={'Bucket': 'sig', 'Key': 'k'}, "
      "ExpiresIn=60)\n"
      "assert subprocess.run(['curl', '-sf', url], capture_output=True).stdout == b'secret data'\n"
      "out = subprocess.run(['curl', '-s', url.replace('sig/k', 'sig/other')], "
      "capture_output=True).stdout\n"
      "assert b'SignatureDoesNotMatch' in out, out\n"
      "out = subprocess.run(['curl', '-s', s3.meta.endpoint_url + '/sig/k'], "
      "capture_output=True).stdout\n"
      "assert b'<Code>AccessDenied</Code>' in out and b'<RequestId>' in out and "
      "b'<Resource>/sig/k</Resource>' in out, out\n"
      "stale = ['curl', '-s', '-H', 'x-amz-date: 20200101T000000Z', '-H', 'x-amz-content-sha256: "
      "UNSIGNED-PAYLOAD', '-H',\n"
      "         'Authorization: AWS4-HMAC-SHA256 "
      "Credential=testing/20200101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, "
      "Signature=00',\n"
      "         s3.meta.endpoint_url + '/sig/k']\n"
      "out = subprocess.run(stale, capture_output=True).stdout\n"
      "assert b'<Code>RequestTimeTooSkewed</Code>' in out, out\n"
      "old = v4.generate_presigned_url('get_object', Params={'Bucket': 'sig', 'Key': 'k'}, "
      "ExpiresIn=1)\n"
      "time.sleep(2.1)\n"
      "out = subprocess.run(['curl', '-s', old], capture_output=True).stdout\n"
      "assert b'<Code>AccessDenied</Code>' in out and b'expired' in out, out\n"
      "print('ok')\n");
  EXPECT_NE(out.find("ok"), std::string::npos) << out;
}

TEST(SimProcess, RestartKeepsObjectsAndRestoreState) {
  TempDir dir;
  std::string data = dir.path() + "/data";
  {
    Sim sim(data, {"--time-scale", "1"});
    ASSERT_FALSE(sim.endpoint().empty());
    Boto(sim,
         "s3.create_bucket(Bucket='keep')\n"
         "s3.put_object(Bucket='keep', Key='hot', Body=b'hot data')\n"
         "s3.put_object(Bucket='keep', Key='cold', Body=b'c', StorageClass='GLACIER')\n"
         "s3.restore_object(Bucket='keep', Key='cold', RestoreRequest={'Days': 1, "
         "'GlacierJobParameters': {'Tier': 'Bulk'}})\n");
    EXPECT_EQ(sim.Stop(), 0);
  }
  Sim again(data, {"--time-scale", "1"});
  ASSERT_FALSE(again.endpoint().empty());
  std::string out = Boto(
      again,
      "assert s3.get_object(Bucket='keep', Key='hot')['Body'].read() == b'hot data'\n"
      "h = s3.head_object(Bucket='keep', Key='cold')\n"
      "assert h['StorageClass'] == 'GLACIER' and h['Restore'] == 'ongoing-request=\"true\"', h\n"
      "print('ok')\n");
  EXPECT_NE(out.find("ok"), std::string::npos) << out;
}

TEST(SimProcess, FaultRulesAreObservedByClients) {
  TempDir dir;
  Sim sim(dir.path() + "/data", {"--faults", "op=HeadObject,error=SlowDown,count=1"});
  ASSERT_FALSE(sim.endpoint().empty());
  std::string out = Boto(
      sim,
      "import socket, subprocess, time, urllib.request\n"
      "from botocore.exceptions import ClientError\n"
      "cfg = Config(signature_version='s3v4', s3={'addressing_style': 'path'}, "
      "retries={'total_max_attempts': 1})\n"
      "c = boto3.client('s3', endpoint_url=s3.meta.endpoint_url, region_name='us-east-1', "
      "aws_access_key_id='testing', aws_secret_access_key='testing', config=cfg)\n"
      "c.create_bucket(Bucket='faulty')\n"
      "c.put_object(Bucket='faulty', Key='k', Body=b'z' * 200000)\n"
      "try:\n"
      "    c.head_object(Bucket='faulty', Key='k'); assert False\n"
      "except ClientError as e: assert e.response['ResponseMetadata']['HTTPStatusCode'] == 503, "
      "e.response\n"
      "c.head_object(Bucket='faulty', Key='k')  # count=1: only the first\n"
      "from botocore.auth import S3SigV4Auth\n"
      "from botocore.awsrequest import AWSRequest\n"
      "from botocore.credentials import Credentials\n"
      "def admin(spec):  # the admin paths want a signed request\n"
      "    url = s3.meta.endpoint_url + '/_thaw/faults'\n"
      "    aws = AWSRequest(method='PUT', url=url, data=spec.encode())\n"
      "    S3SigV4Auth(Credentials('testing', 'testing'), 's3', 'us-east-1').add_auth(aws)\n"
      "    req = urllib.request.Request(url, data=spec.encode(), method='PUT', "
      "headers=dict(aws.headers))\n"
      "    urllib.request.urlopen(req).read()\n"
      "admin('op=GetObject,error=InternalError')\n"
      "try:\n"
      "    c.get_object(Bucket='faulty', Key='k'); assert False\n"
      "except ClientError as e: assert e.response['Error']['Code'] == 'InternalError', e.response\n"
      "admin('op=GetObject,latency=300ms')\n"
      "t = time.time(); c.get_object(Bucket='faulty', Key='k')['Body'].read(); assert time.time() "
      "- t >= 0.3\n"
      "admin('op=GetObject,bandwidth=400KiB/s')\n"
      "t = time.time(); assert len(c.get_object(Bucket='faulty', Key='k')['Body'].read()) == "
      "200000\n"
      "assert time.time() - t >= 0.4, time.time() - t\n"
      "admin('op=GetObject,bandwidth=2MB/s')\n"
      "body = c.get_object(Bucket='faulty', Key='k')['Body']\n"
      "assert len(body.read(1)) == 1\n"
      "t = time.time(); assert len(body.read()) == 199999\n"
      "assert time.time() - t >= 0.07, 'the body came in a burst: %.3f s' % (time.time() - t)\n"
      "url = c.generate_presigned_url('get_object', Params={'Bucket': 'faulty', 'Key': 'k'})\n"
      "admin('op=GetObject,truncate')\n"
      "r = subprocess.run(['curl', '-s', '-o', '/dev/null', '-w', '%{size_download}', url], "
      "capture_output=True)\n"
      "assert r.returncode == 18 and r.stdout == b'100000', r\n"
      "admin('op=GetObject,reset')\n"
      "r = subprocess.run(['curl', '-s', '-o', '/dev/null', url], capture_output=True)\n"
      "assert r.returncode in (18, 56), r\n"
      "admin('')\n"
      "assert len(c.get_object(Bucket='faulty', Key='k')['Body'].read()) == 200000\n"
      "print('ok')\n");
  EXPECT_NE(out.find("ok"), std::string::npos) << out;
}

}  // namespace
}  // namespace thaw::testing
