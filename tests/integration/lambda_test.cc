// `thaw lambda` as Lambda runs it: the real binary against a fake Runtime API written here
// (tests/support/fake_runtime_api.h), with moto_server as S3 so the restores really happen
// (checked with boto3). Invocations: a direct EventBridge CloudTrail event, an SQS batch with
// one poison message, a malformed payload; then a broken configuration (init error); and
// THAW_LOG_FORMAT=json, with which every line CloudWatch Logs gets is one JSON object.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "integration/moto_client.h"
#include "support/fake_runtime_api.h"
#include "support/process.h"
#include "support/test_env.h"

namespace thaw::testing {
namespace {

// An EventBridge "AWS API Call via CloudTrail" event for a GetObject that failed with
// InvalidObjectState (the facts doc's shape).
nlohmann::json CloudTrailEvent(const std::string& bucket, const std::string& key,
                               const std::string& event_id) {
  return {{"version", "0"},
          {"id", "eb-" + event_id},
          {"detail-type", "AWS API Call via CloudTrail"},
          {"source", "aws.s3"},
          {"account", "123456789012"},
          {"time", "2026-11-25T08:15:30Z"},
          {"region", "us-east-1"},
          {"resources", nlohmann::json::array()},
          {"detail",
           {{"eventVersion", "1.09"},
            {"eventTime", "2026-11-25T08:15:30Z"},
            {"eventSource", "s3.amazonaws.com"},
            {"eventName", "GetObject"},
            {"awsRegion", "us-east-1"},
            {"errorCode", "InvalidObjectState"},
            {"errorMessage", "The operation is not valid for the object's storage class"},
            {"requestParameters", {{"bucketName", bucket}, {"key", key}}},
            {"eventID", event_id},
            {"readOnly", true},
            {"eventCategory", "Data"}}}};
}

nlohmann::json SqsRecord(const std::string& id, const std::string& body) {
  return {{"messageId", id},
          {"receiptHandle", "rh-" + id},
          {"body", body},
          {"attributes", {{"ApproximateReceiveCount", "1"}}},
          {"messageAttributes", nlohmann::json::object()},
          {"eventSource", "aws:sqs"},
          {"eventSourceARN", "arn:aws:sqs:us-east-1:123456789012:thaw-events"},
          {"awsRegion", "us-east-1"}};
}

class LambdaTest : public MotoTest {
 protected:
  void Boto(const std::string& body) {
    int rc = 0;
    std::string out = RunBoto3(moto_->endpoint(), body, &rc);
    ASSERT_EQ(rc, 0) << out;
  }
  std::map<std::string, std::string> Env(const std::string& config_toml) {
    return {
        {"AWS_LAMBDA_RUNTIME_API", api_.address()}, {"AWS_ENDPOINT_URL_S3", moto_->endpoint()},
        {"AWS_ACCESS_KEY_ID", "testing"},           {"AWS_SECRET_ACCESS_KEY", "testing"},
        {"AWS_SESSION_TOKEN", "testing-session"},   {"AWS_REGION", "us-east-1"},
        {"AWS_CONFIG_FILE", "/nonexistent"},        {"AWS_SHARED_CREDENTIALS_FILE", "/nonexistent"},
        {"AWS_EC2_METADATA_DISABLED", "true"},      {"HOME", dir_.path()},
        {"THAW_STATE_DIR", dir_.path() + "/state"}, {"THAW_CONFIG_TOML", config_toml}};
  }
  // Runs `thaw lambda --max-invocations n` to completion (bounded); returns its exit code.
  int RunLambda(int n, const std::string& config_toml,
                const std::map<std::string, std::string>& more_env = {}) {
    log_ = dir_.path() + "/lambda.log";
    std::map<std::string, std::string> env = Env(config_toml);
    for (const auto& [k, v] : more_env) env[k] = v;
    ChildProcess p({ThawBinary(), "lambda", "--max-invocations", std::to_string(n)}, env, log_);
    for (int i = 0; i < 1200 && p.running(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    int st = p.Kill(SIGKILL);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  }
  std::string Log() const {
    std::string out;
    RunCommand("cat " + log_, &out);
    return out;
  }

  TempDir dir_;
  FakeRuntimeApi api_;
  std::string log_;
};

TEST_F(LambdaTest, EventBridgeEventSqsBatchAndMalformedPayload) {
  Boto(
      "s3.create_bucket(Bucket='lbkt')\n"
      "s3.put_object(Bucket='lbkt', Key='runs/run 1.dat', Body=b'a', StorageClass='GLACIER')\n"
      "s3.put_object(Bucket='lbkt', Key='runs/deep.dat', Body=b'b', "
      "StorageClass='DEEP_ARCHIVE')\n"
      "s3.put_object(Bucket='lbkt', Key='runs/hot.dat', Body=b'c')\n");

  api_.Queue("inv-eventbridge", CloudTrailEvent("lbkt", "runs/run 1.dat", "ev-1").dump());
  nlohmann::json batch = {
      {"Records",
       {SqsRecord("msg-deep", CloudTrailEvent("lbkt", "runs/deep.dat", "ev-2").dump()),
        SqsRecord("msg-poison", R"({"detail-type":"AWS API Call via CloudTrail","detail":{)"),
        SqsRecord("msg-hot", CloudTrailEvent("lbkt", "runs/hot.dat", "ev-3").dump())}}};
  api_.Queue("inv-sqs", batch.dump());
  api_.Queue("inv-malformed", "{\"Records\": [1, 2");

  int rc = RunLambda(3, "[defaults]\ntier = \"Bulk\"\ndays = 3\n");
  ASSERT_EQ(rc, 0) << Log();

  auto posts = api_.posts();
  ASSERT_EQ(posts.size(), 3u) << Log();
  const TestRequest* r1 = api_.Find(posts, "inv-eventbridge", "response");
  ASSERT_NE(r1, nullptr) << Log();
  EXPECT_EQ(nlohmann::json::parse(r1->body)["events"], 1);

  const TestRequest* r2 = api_.Find(posts, "inv-sqs", "response");
  ASSERT_NE(r2, nullptr) << Log();
  auto answer = nlohmann::json::parse(r2->body);
  ASSERT_EQ(answer["batchItemFailures"].size(), 1u) << r2->body;
  EXPECT_EQ(answer["batchItemFailures"][0]["itemIdentifier"], "msg-poison");

  const TestRequest* r3 = api_.Find(posts, "inv-malformed", "error");
  ASSERT_NE(r3, nullptr) << Log();
  EXPECT_EQ(r3->Header("lambda-runtime-function-error-type"), "Thaw.InvalidEvent");
  auto err = nlohmann::json::parse(r3->body);
  EXPECT_EQ(err["errorType"], "Thaw.InvalidEvent");
  EXPECT_FALSE(err["errorMessage"].get<std::string>().empty());
  EXPECT_TRUE(err["stackTrace"].is_array());

  // The restores happened in S3 (moto finishes them at once) with the policy's Days; the
  // readable object was left alone.
  int brc = 0;
  std::string out = RunBoto3(
      moto_->endpoint(),
      "import datetime, email.utils, re\n"
      "now = datetime.datetime.now(datetime.timezone.utc)\n"
      "for k in ['runs/run 1.dat', 'runs/deep.dat', 'runs/hot.dat']:\n"
      "    r = s3.head_object(Bucket='lbkt', Key=k).get('Restore', 'none')\n"
      "    m = re.search(r'expiry-date=\"([^\"]+)\"', r)\n"
      "    days = (email.utils.parsedate_to_datetime(m.group(1)) - now).total_seconds() / 86400 "
      "if m else 0\n"
      "    print(k, '|', r, '|', 'days-ok' if 2.5 < days < 4.1 else 'days=%.2f' % days)\n",
      &brc);
  ASSERT_EQ(brc, 0) << out;
  EXPECT_NE(out.find("runs/run 1.dat | ongoing-request=\"false\""), std::string::npos) << out;
  EXPECT_NE(out.find("runs/deep.dat | ongoing-request=\"false\""), std::string::npos) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 3) << out;
  size_t days_ok = 0;
  for (size_t pos = 0; (pos = out.find("days-ok", pos)) != std::string::npos; ++pos) ++days_ok;
  EXPECT_EQ(days_ok, 2u) << out;
  EXPECT_NE(out.find("runs/hot.dat | none"), std::string::npos) << out;
}

// The whole AWS path on moto: the template's own ArchivedReadRule pattern (read from
// deploy/thaw.yaml) on an EventBridge bus targeting an SQS queue, CloudTrail-shaped events put
// on the bus, the queue's messages handed to `thaw lambda` as Lambda's SQS event source would,
// and the restore checked in S3.
TEST_F(LambdaTest, TemplateRuleQueueAndFunctionOnMoto) {
  int rc = 0;
  std::string out = RunBoto3(
      moto_->endpoint(),
      "from cfnlint.decode import decode\n"
      "kw = dict(endpoint_url=s3.meta.endpoint_url, region_name='us-east-1',\n"
      "          aws_access_key_id='testing', aws_secret_access_key='testing')\n"
      "ev, sqs = boto3.client('events', **kw), boto3.client('sqs', **kw)\n"
      "s3.create_bucket(Bucket='tbkt')\n"
      "s3.put_object(Bucket='tbkt', Key='cold/a b.dat', Body=b'a', StorageClass='GLACIER')\n"
      "s3.put_object(Bucket='tbkt', Key='cold/other.dat', Body=b'b', StorageClass='GLACIER')\n"
      "t, m = decode('" +
          SourceDir() +
          "/deploy/thaw.yaml')\n"
          "assert not m, m\n"
          "pattern = t['Resources']['ArchivedReadRule']['Properties']['EventPattern']\n"
          "pattern['detail']['requestParameters']['bucketName'] = ['tbkt']\n"
          "url = sqs.create_queue(QueueName='thaw-events')['QueueUrl']\n"
          "arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=['QueueArn'])"
          "['Attributes']['QueueArn']\n"
          "ev.put_rule(Name='archived-read', EventPattern=json.dumps(pattern))\n"
          "ev.put_targets(Rule='archived-read', Targets=[{'Id': 'q', 'Arn': arn}])\n"
          "def read(key, error):\n"
          "    d = {'eventSource': 's3.amazonaws.com', 'eventName': 'GetObject',\n"
          "         'awsRegion': 'us-east-1', 'eventTime': '2026-11-25T08:00:00Z',\n"
          "         'eventID': 'id-' + key, 'readOnly': True, 'eventCategory': 'Data',\n"
          "         'requestParameters': {'bucketName': 'tbkt', 'key': key}}\n"
          "    if error: d['errorCode'] = error\n"
          "    return {'Source': 'aws.s3', 'DetailType': 'AWS API Call via CloudTrail',\n"
          "            'Detail': json.dumps(d)}\n"
          "ev.put_events(Entries=[read('cold/a b.dat', 'InvalidObjectState'),\n"
          "                       read('cold/other.dat', None),\n"
          "                       read('cold/other.dat', 'AccessDenied')])\n"
          "msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,\n"
          "                           AttributeNames=['All']).get('Messages', [])\n"
          "records = [{'messageId': x['MessageId'], 'receiptHandle': x['ReceiptHandle'],\n"
          "            'body': x['Body'], 'attributes': x.get('Attributes', {}),\n"
          "            'messageAttributes': {}, 'md5OfBody': x['MD5OfBody'],\n"
          "            'eventSource': 'aws:sqs', 'eventSourceARN': arn,\n"
          "            'awsRegion': 'us-east-1'} for x in msgs]\n"
          "print(json.dumps({'Records': records}))\n",
      &rc);
  ASSERT_EQ(rc, 0) << out;
  auto batch = nlohmann::json::parse(out, nullptr, false);
  ASSERT_TRUE(batch.is_object()) << out;
  // Only the InvalidObjectState read passed the template's rule.
  ASSERT_EQ(batch["Records"].size(), 1u) << out;

  api_.Queue("inv-from-queue", batch.dump());
  ASSERT_EQ(RunLambda(1, "[defaults]\ntier = \"Standard\"\ndays = 2\n"), 0) << Log();
  auto posts = api_.posts();
  ASSERT_EQ(posts.size(), 1u) << Log();
  EXPECT_EQ(posts[0].target, "/2018-06-01/runtime/invocation/inv-from-queue/response");
  EXPECT_EQ(nlohmann::json::parse(posts[0].body)["batchItemFailures"].size(), 0u) << posts[0].body;

  int brc = 0;
  std::string heads = RunBoto3(moto_->endpoint(),
                               "for k in ['cold/a b.dat', 'cold/other.dat']:\n"
                               "    print(k, '|', s3.head_object(Bucket='tbkt', Key=k)"
                               ".get('Restore', 'none'))\n",
                               &brc);
  ASSERT_EQ(brc, 0) << heads;
  EXPECT_NE(heads.find("cold/a b.dat | ongoing-request="), std::string::npos) << heads;
  EXPECT_NE(heads.find("cold/other.dat | none"), std::string::npos) << heads;
}

TEST_F(LambdaTest, BadPolicyIsReportedAsInitError) {
  int rc = RunLambda(1, "[defaults]\ntier = \"Glacial\"\n");
  EXPECT_NE(rc, 0);
  auto posts = api_.posts();
  ASSERT_EQ(posts.size(), 1u) << Log();
  EXPECT_EQ(posts[0].target, "/2018-06-01/runtime/init/error");
  EXPECT_EQ(posts[0].Header("lambda-runtime-function-error-type"), "Thaw.InvalidConfig");
  auto err = nlohmann::json::parse(posts[0].body);
  EXPECT_NE(err["errorMessage"].get<std::string>().find("THAW_CONFIG_TOML"), std::string::npos)
      << posts[0].body;
}

// Every line of the log (stdout and stderr together, as CloudWatch Logs gets them) as JSON
// objects with the logger's fields; fails the test on any other line.
std::vector<nlohmann::json> JsonLines(const std::string& log) {
  std::vector<nlohmann::json> out;
  size_t start = 0;
  while (start < log.size()) {
    size_t end = log.find('\n', start);
    if (end == std::string::npos) end = log.size();
    std::string line = log.substr(start, end - start);
    start = end + 1;
    if (line.empty()) continue;
    auto j = nlohmann::json::parse(line, nullptr, false);
    EXPECT_TRUE(j.is_object() && j.contains("time") && j.contains("level") && j.contains("msg") &&
                j.contains("pid"))
        << "not a JSON log line: " << line;
    if (j.is_object()) out.push_back(j);
  }
  return out;
}

bool AnyMessage(const std::vector<nlohmann::json>& lines, const std::string& level,
                const std::string& part) {
  return std::any_of(lines.begin(), lines.end(), [&](const nlohmann::json& j) {
    return j.value("level", "") == level && j.value("msg", "").find(part) != std::string::npos;
  });
}

// A function is configured by its environment: THAW_LOG_FORMAT=json makes every line JSON, the
// invocations' logs and the errors alike (a malformed payload, a broken policy at init).
TEST_F(LambdaTest, LogFormatJsonFromTheEnvironment) {
  Boto(
      "s3.create_bucket(Bucket='jbkt')\n"
      "s3.put_object(Bucket='jbkt', Key='cold/j.dat', Body=b'j', StorageClass='GLACIER')\n");
  api_.Queue("inv-json", CloudTrailEvent("jbkt", "cold/j.dat", "ev-json").dump());
  api_.Queue("inv-bad", "{\"Records\": [1");
  ASSERT_EQ(RunLambda(2, "", {{"THAW_LOG_FORMAT", "json"}}), 0) << Log();
  auto lines = JsonLines(Log());
  EXPECT_TRUE(AnyMessage(lines, "info", "cold/j.dat")) << Log();
  EXPECT_NE(api_.Find(api_.posts(), "inv-bad", "error"), nullptr) << Log();

  EXPECT_NE(RunLambda(1, "[defaults]\ntier = \"Glacial\"\n", {{"THAW_LOG_FORMAT", "json"}}), 0);
  lines = JsonLines(Log());
  EXPECT_TRUE(AnyMessage(lines, "error", "THAW_CONFIG_TOML")) << Log();
}

TEST_F(LambdaTest, UnknownLogFormatIsAnInitErrorNamingTheVariable) {
  EXPECT_NE(RunLambda(1, "", {{"THAW_LOG_FORMAT", "yaml"}}), 0);
  auto posts = api_.posts();
  ASSERT_EQ(posts.size(), 1u) << Log();
  EXPECT_EQ(posts[0].target, "/2018-06-01/runtime/init/error");
  auto err = nlohmann::json::parse(posts[0].body);
  EXPECT_NE(err["errorMessage"].get<std::string>().find("THAW_LOG_FORMAT"), std::string::npos)
      << posts[0].body;
  EXPECT_NE(Log().find("THAW_LOG_FORMAT: unknown log format 'yaml'"), std::string::npos) << Log();
}

TEST_F(LambdaTest, OutsideLambdaItSaysSo) {
  std::string out;
  int rc = RunCommand("env -u AWS_LAMBDA_RUNTIME_API " + ThawBinary() + " lambda 2>&1", &out);
  EXPECT_EQ(rc, 2);
  EXPECT_NE(out.find("AWS_LAMBDA_RUNTIME_API"), std::string::npos) << out;
}

}  // namespace
}  // namespace thaw::testing
