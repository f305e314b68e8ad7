// `thaw scan` on moto: gzip CloudTrail log files in a log bucket and access logs in a local
// directory name failed reads of archived objects; the scan restores exactly those (once, with
// the policy's tier), a rerun reads nothing again (checkpoint), --since skips older files, an
// unreadable file is reported and retried next time, and a hook runs for each completed restore.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "integration/moto_client.h"
#include "integration/thaw_cli.h"
#include "support/boto3.h"

namespace thaw::testing {
namespace {

using nlohmann::json;

class ScanTest : public MotoTest {
 protected:
  std::string Python(const std::string& code) {
    int rc = 0;
    std::string out =
        RunBoto3(moto_->endpoint(),
                 "c = boto3.client('s3', endpoint_url=s3.meta.endpoint_url,\n"
                 "    region_name='us-east-1', aws_access_key_id='testing',\n"
                 "    aws_secret_access_key='testing',\n"
                 "    config=Config(s3={'addressing_style': 'path'}))\n"
                 "import gzip\n"
                 "def rec(key, code='InvalidObjectState', name='GetObject'):\n"
                 "    return {'eventVersion': '1.09', 'eventSource': "
                 "'s3.amazonaws.com',\n"
                 "        'eventName': name, 'errorCode': code, 'eventID': key,\n"
                 "        'eventTime': '2026-01-01T00:00:00Z',\n"
                 "        'requestParameters': {'bucketName': 'data', 'key': key}}\n" +
                     code,
                 &rc);
    EXPECT_EQ(rc, 0) << out;
    return out;
  }
  ThawRun Scan(const std::string& args) {
    return RunThaw("scan " + args + " --json --state-dir " + state_ + " --config " + policy_,
                   moto_->endpoint(), home_.path());
  }
  TempDir home_;
  std::string state_ = home_.path() + "/state";
  std::string policy_ = home_.WriteFile("policy.toml", "[defaults]\ntier = \"Bulk\"\ndays = 3\n");
};

TEST_F(ScanTest, CloudTrailLogsInS3RestoreOnceAndCheckpoint) {
  Python(
      "c.create_bucket(Bucket='data')\n"
      "c.create_bucket(Bucket='logs')\n"
      "for i in range(6):\n"
      "    c.put_object(Bucket='data', Key='f%d' % i, Body=b'x', StorageClass='GLACIER')\n"
      "c.put_object(Bucket='data', Key='hot', Body=b'x')\n"
      "p = 'AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/01/'\n"
      "def put(name, records):\n"
      "    c.put_object(Bucket='logs', Key=p + name,\n"
      "        Body=gzip.compress(json.dumps({'Records': records}).encode()))\n"
      "put('a.json.gz', [rec('f0'), rec('f1'), rec('f1'), rec('hot', code='AccessDenied')])\n"
      "put('b.json.gz', [rec('f2'), rec('f3', name='PutObject'), rec('f0')])\n"
      "c.put_object(Bucket='logs', Key='AWSLogs/111122223333/CloudTrail-Digest/x.json.gz',\n"
      "    Body=gzip.compress(b'{\"digest\": true}'))\n");
  ThawRun first = Scan("s3://logs/AWSLogs/ --format cloudtrail");
  ASSERT_EQ(first.rc, 0) << first.err << first.out;
  json j = first.Json();
  EXPECT_EQ(j["files"], 2) << first.out;
  EXPECT_EQ(j["files_read"], 2);
  EXPECT_EQ(j["records"], 7);
  EXPECT_EQ(j["restores_submitted"], 5);  // submits: f0 and f1 twice, joined in the engine
  EXPECT_EQ(j["unsent"], 0);
  auto calls = MotoRestoreCalls(moto_->log_path());
  EXPECT_EQ(calls.size(), 3u);  // f0, f1, f2; never f3 (PutObject) or hot (AccessDenied)
  for (const char* p : {"/data/f0", "/data/f1", "/data/f2"}) {
    ASSERT_EQ(calls.count(p), 1u) << p;
    EXPECT_EQ(calls[p][202], 1) << p;
  }

  // A new file arrives; the rerun reads only it.
  Python(
      "p = 'AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/02/'\n"
      "c.put_object(Bucket='logs', Key=p + 'c.json.gz',\n"
      "    Body=gzip.compress(json.dumps({'Records': [rec('f4'), rec('f0')]}).encode()))\n");
  ThawRun second = Scan("s3://logs/AWSLogs/ --format cloudtrail");
  ASSERT_EQ(second.rc, 0) << second.err;
  json k = second.Json();
  EXPECT_EQ(k["files_read"], 1) << second.out;
  EXPECT_EQ(k["files_already_done"], 2);
  calls = MotoRestoreCalls(moto_->log_path());
  EXPECT_EQ(calls.size(), 4u);
  EXPECT_EQ(TotalCalls(calls), 4) << "f0 is restored already: HEAD shows it, nothing sent again";
}

TEST_F(ScanTest, LocalAccessLogsSinceAndUnreadableFiles) {
  Python(
      "c.create_bucket(Bucket='data')\n"
      "for k in ['a', 'b']:\n"
      "    c.put_object(Bucket='data', Key=k, Body=b'x', StorageClass='DEEP_ARCHIVE')\n");
  TempDir logs;
  auto line = [](const std::string& key, const std::string& error, const std::string& id) {
    return "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be data "
           "[06/Feb/2026:00:00:38 +0000] 192.0.2.3 "
           "arn:aws:iam::111122223333:user/alice " +
           id + " REST.GET.OBJECT " + key + " \"GET /data/" + key + " HTTP/1.1\" 403 " + error +
           " 243 - 42 - \"-\" \"curl/8.0\" - hostid SigV4 ECDHE-RSA-AES128-GCM-SHA256 "
           "AuthHeader data.s3.us-east-1.amazonaws.com TLSv1.2 - -\n";
  };
  logs.WriteFile("2026-02-06-00-00-00-AAAA",
                 line("a", "InvalidObjectState", "R1") + line("b", "AccessDenied", "R2"));
  std::string old =
      logs.WriteFile("2020-01-01-00-00-00-BBBB", line("b", "InvalidObjectState", "R3"));
  ASSERT_EQ(RunCommand("touch -d 2020-01-01 '" + old + "'"), 0);
  logs.WriteFile("2026-02-06-00-00-00-CCCC", "this is not an access log\n");
  logs.WriteFile("2026-02-06-00-00-00-DDDD.gz", std::string("\x1f\x8b\x08\x00truncated", 13));

  ThawRun r = Scan(logs.path() + " --format access-log --since 2025-01-01");
  EXPECT_EQ(r.rc, 4) << r.err << r.out;  // partial: one file unreadable, one malformed
  json j = r.Json();
  EXPECT_EQ(j["files"], 4) << r.out;
  EXPECT_EQ(j["files_too_old"], 1);
  EXPECT_EQ(j["files_failed"], 1);
  EXPECT_EQ(j["files_malformed"], 1);
  EXPECT_EQ(j["restores_submitted"], 1);
  auto calls = MotoRestoreCalls(moto_->log_path());
  EXPECT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls.count("/data/a"), 1u);

  ThawRun again = Scan(logs.path() + " --format access-log --since 2025-01-01");
  json k = again.Json();
  EXPECT_EQ(k["files_already_done"], 2) << again.out;
  EXPECT_EQ(k["files_failed"], 1) << "an unreadable file is tried again on every run";
}

TEST_F(ScanTest, HookRunsWithTheMappedPathWhenARestoreCompletes) {
  Python(
      "c.create_bucket(Bucket='data')\n"
      "c.put_object(Bucket='data', Key='proj/run 1/x.h5', Body=b'x', StorageClass='GLACIER')\n");
  TempDir logs;
  // An S3 restore-completed notification in the log directory (auto format): the hook runs.
  logs.WriteFile("done.json",
                 R"({"Records":[{"eventVersion":"2.1","eventSource":"aws:s3",)"
                 R"("awsRegion":"us-east-1","eventTime":"2026-01-01T00:00:00.000Z",)"
                 R"("eventName":"ObjectRestore:Completed","s3":{"s3SchemaVersion":"1.0",)"
                 R"("bucket":{"name":"data","arn":"arn:aws:s3:::data"},)"
                 R"("object":{"key":"proj/run+1/x.h5","size":1,"sequencer":"01"}}}]})");
  std::string out_file = home_.path() + "/hook.out";
  ThawRun r = Scan(logs.path() + " --map /fsx/data=s3://data/proj --on-restored 'echo {path} " +
                   "{bucket} {key} >> " + out_file + "'");
  ASSERT_EQ(r.rc, 0) << r.err << r.out;
  std::ifstream in(out_file);
  std::string got((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(got, "/fsx/data/run 1/x.h5 data proj/run 1/x.h5\n");
}

TEST_F(ScanTest, ALogFileNameCannotForgeACheckpointLine) {
  Python(
      "c.create_bucket(Bucket='data')\n"
      "c.put_object(Bucket='data', Key='f0', Body=b'x', StorageClass='GLACIER')\n");
  TempDir logs;
  std::string later_body =
      R"({"Records":[{"eventVersion":"1.09","eventSource":"s3.amazonaws.com",)"
      R"("eventName":"GetObject","errorCode":"InvalidObjectState","eventID":"e1",)"
      R"("eventTime":"2026-01-01T00:00:00Z","requestParameters":{"bucketName":"data",)"
      R"("key":"f0"}}]})";
  std::string later = logs.path() + "/later.json";
  // A file whose path holds newlines and tabs: unescaped, its checkpoint line would also write
  // the whole line of `later.json` (not yet there; its size and mtime are predictable), so the
  // next run would skip it as done. Its directories spell out later.json's absolute path.
  std::string evil_dir = logs.path() + "/x\n" + logs.path();
  std::filesystem::create_directories(evil_dir);
  std::ofstream(evil_dir + "/later.json\t" + std::to_string(later_body.size()) + "\t1767225600\n")
      << "{\"Records\":[]}";
  ASSERT_EQ(Scan(logs.path()).rc, 0);
  logs.WriteFile("later.json", later_body);
  ASSERT_EQ(RunCommand("touch -d @1767225600 " + later), 0);
  ThawRun r = Scan(logs.path());
  ASSERT_EQ(r.rc, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["files_read"], 1) << r.out;
  EXPECT_EQ(j["files_already_done"], 1) << r.out;
  EXPECT_EQ(j["restores_submitted"], 1) << r.out;
}

}  // namespace
}  // namespace thaw::testing
