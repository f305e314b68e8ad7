// `thaw serve` end to end on moto_server (S3, SQS and EventBridge we did not write), the real
// binary as a child process: CloudTrail-shaped events put on an EventBridge bus whose rule is the
// deployment's (InvalidObjectState reads of S3) reach an SQS queue; thaw serve restores exactly
// the archived objects named, with the policy's tier and days (checked through the counting
// proxy and boto3 HEAD); restore-completed events complete them in the journal; unreadable
// messages go to the dead-letter queue with the reason; SIGTERM stops it with nothing held;
// SIGKILL at random moments while ~1,000 messages flow loses nothing and sends no restore twice.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iterator>
#include <random>
#include <set>
#include <thread>

#include "integration/moto_client.h"
#include "integration/thaw_cli.h"
#include "s3/sqs_client.h"
#include "support/boto3.h"
#include "support/process.h"

namespace thaw::testing {
namespace {

using nlohmann::json;

// Python prelude for boto3 clients bound to moto.
std::string Clients() {
  return "kw = dict(endpoint_url=s3.meta.endpoint_url, region_name='us-east-1',\n"
         "    aws_access_key_id='testing', aws_secret_access_key='testing')\n"
         "sqs = boto3.client('sqs', **kw)\n"
         "events = boto3.client('events', **kw)\n"
         "c = boto3.client('s3', config=Config(s3={'addressing_style': 'path'},\n"
         "    max_pool_connections=16), **kw)\n";
}

// A CloudTrail GetObject record (the EventBridge `detail`) for bucket/key, as a Python dict.
std::string PyDetail() {
  return "def detail(bucket, key, code='InvalidObjectState', eid=None):\n"
         "    return json.dumps({'eventVersion': '1.09', 'eventTime': '2026-01-01T00:00:00Z',\n"
         "        'eventSource': 's3.amazonaws.com', 'eventName': 'GetObject',\n"
         "        'awsRegion': 'us-east-1', 'errorCode': code,\n"
         "        'errorMessage': \"The operation is not valid for the object's storage class\",\n"
         "        'requestParameters': {'bucketName': bucket, 'key': key},\n"
         "        'requestID': 'REQ', 'eventID': eid or ('ev-' + key), 'eventType': "
         "'AwsApiCall',\n"
         "        'readOnly': True, 'eventCategory': 'Data'})\n"
         "def put(entries):\n"
         "    for i in range(0, len(entries), 10):\n"
         "        r = events.put_events(Entries=entries[i:i + 10])\n"
         "        assert r['FailedEntryCount'] == 0, r\n";
}

class ServeTest : public MotoTest {
 protected:
  void SetUp() override {
    MotoTest::SetUp();
    if (HasFatalFailure()) return;
    s3::SqsConfig config;
    config.endpoint_url = moto_->endpoint();
    config.retry.base_delay = std::chrono::milliseconds(10);
    sqs_ = s3::MakeSqsClient(config, s3::MakeStaticProvider({"testing", "testing", "", {}, "t"}));
    auto q = sqs_->CreateQueue("thaw-events");
    auto d = sqs_->CreateQueue("thaw-dlq");
    ASSERT_TRUE(q.ok() && d.ok()) << q.status().ToString() << d.status().ToString();
    queue_ = *q;
    dlq_ = *d;
    policy_ = home_.WriteFile("policy.toml",
                              "[defaults]\ntier = \"Bulk\"\ndays = 3\n"
                              "[limits]\nrestore_requests_per_second = 0\n"
                              "head_requests_per_second = 0\n");
  }

  std::string Python(const std::string& code) {
    int rc = 0;
    std::string out = RunBoto3(moto_->endpoint(), Clients() + PyDetail() + code, &rc);
    EXPECT_EQ(rc, 0) << out;
    return out;
  }

  // The bus and rule of the deployment, targeting the queue.
  void MakeBus() {
    Python("arn = sqs.get_queue_attributes(QueueUrl='" + queue_ +
           "', AttributeNames=['QueueArn'])['Attributes']['QueueArn']\n"
           "events.create_event_bus(Name='s3-events')\n"
           "pattern = {'source': ['aws.s3'], 'detail-type': ['AWS API Call via CloudTrail'],\n"
           "    'detail': {'eventSource': ['s3.amazonaws.com'], 'errorCode': "
           "['InvalidObjectState']}}\n"
           "events.put_rule(Name='thaw-invalid-object-state', EventBusName='s3-events',\n"
           "    EventPattern=json.dumps(pattern))\n"
           "events.put_targets(Rule='thaw-invalid-object-state', EventBusName='s3-events',\n"
           "    Targets=[{'Id': 'q', 'Arn': arn}])\n"
           "done = {'source': ['aws.s3'], 'detail-type': ['Object Restore Completed']}\n"
           "events.put_rule(Name='thaw-restore-completed', EventBusName='s3-events',\n"
           "    EventPattern=json.dumps(done))\n"
           "events.put_targets(Rule='thaw-restore-completed', EventBusName='s3-events',\n"
           "    Targets=[{'Id': 'q', 'Arn': arn}])\n");
  }

  std::vector<std::string> ServeArgv(const std::string& s3_endpoint,
                                     const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {
        ThawBinary(),        "serve",     "--queue-url",        queue_,
        "--dead-letter-url", dlq_,        "--sqs-endpoint-url", moto_->endpoint(),
        "--endpoint-url",    s3_endpoint, "--state-dir",        state_,
        "--config",          policy_,     "--wait-time",        "1",
        "--log-level",       "info"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  }

  std::map<std::string, std::string> Env() const {
    return {{"AWS_ACCESS_KEY_ID", "testing"},
            {"AWS_SECRET_ACCESS_KEY", "testing"},
            {"AWS_CONFIG_FILE", "/nonexistent"},
            {"AWS_SHARED_CREDENTIALS_FILE", "/nonexistent"},
            {"AWS_EC2_METADATA_DISABLED", "true"},
            {"HOME", home_.path()},
            {"AWS_REGION", "us-east-1"}};
  }

  // Messages on `url`: visible + in flight.
  std::pair<int, int> QueueDepth(const std::string& url) {
    auto a = sqs_->GetQueueAttributes(
        url, {"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"});
    if (!a.ok()) return {-1, -1};
    return {std::stoi(a->at("ApproximateNumberOfMessages")),
            std::stoi(a->at("ApproximateNumberOfMessagesNotVisible"))};
  }

  // Polls `pred` every 100 ms for at most `seconds` of real time.
  static bool WaitFor(const std::function<bool()>& pred, int seconds = 30) {
    for (int i = 0; i < seconds * 10; ++i) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return pred();
  }

  std::vector<json> Journal(const std::string& uri) {
    ThawRun r =
        RunThaw("status " + uri + " --json --state-dir " + state_, moto_->endpoint(), home_.path());
    EXPECT_EQ(r.rc, 0) << r.err;
    return r.rc == 0 ? JsonLines(r.out) : std::vector<json>{};
  }

  std::unique_ptr<s3::SqsClient> sqs_;
  std::string queue_, dlq_;
  TempDir home_;
  std::string state_ = home_.path() + "/state";
  std::string policy_;
};

TEST_F(ServeTest, EventBridgeEventsRestoreExactlyTheArchivedObjectsNamed) {
  MakeBus();
  Python(
      "c.create_bucket(Bucket='lab')\n"
      "for k in ['raw/a 1.h5', 'raw/b+2.h5', 'raw/c%41.h5']:\n"
      "    c.put_object(Bucket='lab', Key=k, Body=b'x', StorageClass='GLACIER')\n"
      "c.put_object(Bucket='lab', Key='raw/deep.h5', Body=b'x', StorageClass='DEEP_ARCHIVE')\n"
      "c.put_object(Bucket='lab', Key='raw/hot.h5', Body=b'x')\n"
      "c.put_object(Bucket='lab', Key='raw/not-named.h5', Body=b'x', StorageClass='GLACIER')\n"
      "e = lambda k, **a: {'Source': 'aws.s3', 'DetailType': 'AWS API Call via CloudTrail',\n"
      "    'EventBusName': 's3-events', 'Detail': detail('lab', k, **a)}\n"
      "put([e('raw/a 1.h5'), e('raw/b+2.h5'), e('raw/c%41.h5'), e('raw/deep.h5'),\n"
      "     e('raw/a 1.h5'), e('raw/a 1.h5', eid='another-reader'),\n"
      "     e('raw/hot.h5'),\n"  // InvalidObjectState on a readable object: HEAD says no
      "     e('raw/not-named.h5', code='AccessDenied')])\n");  // filtered by the rule

  TempDir proxy_dir;
  std::string proxy_log = proxy_dir.path() + "/restores.jsonl";
  int proxy_port = FreePort();
  ChildProcess proxy({"python3", SourceDir() + "/tests/integration/restore_proxy.py",
                      std::to_string(proxy_port), std::to_string(moto_->port()), proxy_log},
                     {}, proxy_dir.path() + "/proxy.log");
  ASSERT_TRUE(WaitForPort(proxy_port, 20000));
  int metrics_port = FreePort();
  ChildProcess serve(ServeArgv("http://127.0.0.1:" + std::to_string(proxy_port),
                               {"--metrics-listen", "127.0.0.1:" + std::to_string(metrics_port)}),
                     Env(), home_.path() + "/serve.log");
  ASSERT_TRUE(WaitForPort(metrics_port, 20000));

  auto restores = [&] {
    std::map<std::string, std::vector<json>> by_path;
    std::ifstream in(proxy_log);
    std::string line;
    while (std::getline(in, line)) {
      json j = json::parse(line);
      std::string path = j["path"];
      by_path[path.substr(0, path.find('?'))].push_back(j);
    }
    return by_path;
  };
  ASSERT_TRUE(WaitFor([&] {
    return restores().size() == 4 && QueueDepth(queue_) == std::pair(0, 0);
  })) << "restores: "
      << restores().size() << "; serve log: " << home_.path() << "/serve.log";
  auto sent = restores();
  std::string all;
  for (const auto& [p, v] : sent) all += p + " ";
  for (const char* path :
       {"/lab/raw/a%201.h5", "/lab/raw/b%2B2.h5", "/lab/raw/c%2541.h5", "/lab/raw/deep.h5"}) {
    ASSERT_EQ(sent.count(path), 1u) << path << " not in " << all;
    ASSERT_EQ(sent[path].size(), 1u) << path;
    EXPECT_EQ(sent[path][0]["status"], 202) << path;
    EXPECT_EQ(sent[path][0]["tier"], "Bulk") << path;
    EXPECT_EQ(sent[path][0]["days"], 3) << path;
  }
  // boto3, a client we did not write, sees the restores.
  std::string heads = Python(
      "for k in ['raw/a 1.h5', 'raw/b+2.h5', 'raw/c%41.h5', 'raw/deep.h5', 'raw/not-named.h5']:\n"
      "    print(k, '|', c.head_object(Bucket='lab', Key=k).get('Restore'))\n");
  EXPECT_NE(heads.find("raw/a 1.h5 | ongoing-request"), std::string::npos) << heads;
  EXPECT_NE(heads.find("raw/deep.h5 | ongoing-request"), std::string::npos) << heads;
  EXPECT_NE(heads.find("raw/not-named.h5 | None"), std::string::npos) << heads;

  for (const json& r : Journal("s3://lab/raw/")) {
    EXPECT_EQ(r["source"], "event") << r.dump();
    if (r["key"] == "raw/hot.h5") {
      EXPECT_EQ(r["state"], "skipped") << r.dump();
    } else {
      EXPECT_EQ(r["state"], "in_progress") << r.dump();
    }
  }

  // S3's "Object Restore Completed" events complete the engine's tracking (its own HEAD
  // polling waits hours for Bulk, so only the events can do it within this test).
  Python(
      "done = lambda k: {'Source': 'aws.s3', 'DetailType': 'Object Restore Completed',\n"
      "    'EventBusName': 's3-events', 'Detail': json.dumps({'version': '0',\n"
      "    'bucket': {'name': 'lab'}, 'object': {'key': k, 'size': 1, 'sequencer': '01'},\n"
      "    'request-id': 'R-' + k, 'requester': 's3.amazonaws.com',\n"
      "    'source-storage-class': 'GLACIER',\n"
      "    'restore-expiry-time': '2030-01-01T00:00:00Z'})}\n"
      "put([done(k) for k in ['raw/a 1.h5', 'raw/b+2.h5', 'raw/c%41.h5', 'raw/deep.h5']])\n");
  ASSERT_TRUE(WaitFor([&] {
    int restored = 0;
    for (const json& r : Journal("s3://lab/raw/")) restored += r["state"] == "restored";
    return restored == 4;
  }));
  for (const json& r : Journal("s3://lab/raw/")) {
    if (r["state"] == "restored") {
      EXPECT_EQ(r["restore_expiry"], "2030-01-01T00:00:00Z");
    }
  }
  std::string metrics;
  RunCommand("curl -s http://127.0.0.1:" + std::to_string(metrics_port) + "/metrics", &metrics);
  EXPECT_NE(metrics.find("thaw_serve_completions_total 4"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("thaw_serve_messages_dead_lettered_total 0"), std::string::npos);
  EXPECT_EQ(restores().size(), 4u);
  EXPECT_EQ(QueueDepth(dlq_), std::pair(0, 0));
}

TEST_F(ServeTest, UnreadableMessagesGoToTheDeadLetterQueueWithTheReason) {
  Python("q = '" + queue_ +
         "'\n"
         "sqs.send_message(QueueUrl=q, MessageBody='{\"Records\": [')\n"
         "sqs.send_message(QueueUrl=q, MessageBody=json.dumps({'Records': [\n"
         "    {'eventSource': 's3.amazonaws.com', 'eventName': 'GetObject',\n"
         "     'errorCode': 'InvalidObjectState', 'requestParameters': {'bucketName': 'b'}}]}))\n"
         "sqs.send_message(QueueUrl=q, MessageBody=json.dumps({'Event': 's3:TestEvent'}))\n");
  ChildProcess serve(ServeArgv(moto_->endpoint()), Env(), home_.path() + "/serve.log");
  ASSERT_TRUE(WaitFor([&] {
    return QueueDepth(queue_) == std::pair(0, 0) && QueueDepth(dlq_).first == 2;
  })) << home_.path()
      << "/serve.log";
  std::string out = Python("r = sqs.receive_message(QueueUrl='" + dlq_ +
                           "', MaxNumberOfMessages=10, MessageAttributeNames=['All'])\n"
                           "for m in r['Messages']:\n"
                           "    print(m['MessageAttributes']['thaw-reason']['StringValue'])\n");
  EXPECT_NE(out.find("INVALID_ARGUMENT"), std::string::npos) << out;
  EXPECT_NE(out.find("malformed"), std::string::npos) << out;
}

TEST_F(ServeTest, SigtermFinishesTheBatchInHandAndHoldsNothing) {
  Python(
      "c.create_bucket(Bucket='sigterm')\n"
      "for i in range(100):\n"
      "    c.put_object(Bucket='sigterm', Key='k%03d' % i, Body=b'x', StorageClass='GLACIER')\n"
      "body = lambda i: json.dumps({'Records': [{'eventSource': 's3.amazonaws.com',\n"
      "    'eventName': 'GetObject', 'errorCode': 'InvalidObjectState', 'eventID': str(i),\n"
      "    'requestParameters': {'bucketName': 'sigterm', 'key': 'k%03d' % i}}]})\n"
      "for i in range(0, 100, 10):\n"
      "    sqs.send_message_batch(QueueUrl='" +
      queue_ + "', Entries=[{'Id': str(j), 'MessageBody': body(j)} for j in range(i, i + 10)])\n");
  ChildProcess serve(ServeArgv(moto_->endpoint(), {"--batch-size", "5", "--workers", "1"}), Env(),
                     home_.path() + "/serve.log");
  ASSERT_TRUE(WaitFor([&] { return QueueDepth(queue_).first < 90; }));
  // A hang here is caught by ctest's timeout; a graceful stop waits for one poll and one batch.
  int status = serve.Kill(SIGTERM);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
  // Nothing is left invisible (held by the stopped process): every message is deleted or back.
  auto [visible, in_flight] = QueueDepth(queue_);
  EXPECT_EQ(in_flight, 0);
  // A deleted message's restore is in the journal (sent, or pending for the next start).
  EXPECT_EQ(static_cast<int>(Journal("s3://sigterm/").size()) + visible, 100)
      << "each message was either journaled or is still on the queue";
}

TEST_F(ServeTest, SigtermDuringALongPollStopsAtOnceAndLosesNothing) {
  Python(
      "c.create_bucket(Bucket='longpoll')\n"
      "c.put_object(Bucket='longpoll', Key='k', Body=b'x', StorageClass='GLACIER')\n");
  std::string log = home_.path() + "/serve.log";
  // A 20 s long poll; a short visibility so that a message the stop leaves behind comes back
  // soon enough to be seen below.
  std::vector<std::string> argv = ServeArgv(moto_->endpoint(), {"--visibility-timeout", "3"});
  argv[std::find(argv.begin(), argv.end(), "--wait-time") - argv.begin() + 1] = "20";
  ChildProcess serve(argv, Env(), log);
  ASSERT_TRUE(WaitFor([&] {
    std::ifstream in(log);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return text.find("polling") != std::string::npos;
  }));
  // Well inside the first long poll (the queue is empty, so it waits its 20 s).
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  ASSERT_TRUE(serve.running());
  // A message sent just before the signal, delayed by SQS for 5 s: the poll under way is still
  // waiting when SIGTERM lands, and the message must not be lost (it is handled before the exit,
  // or stays on the queue).
  auto sent = sqs_->SendMessage(
      {queue_,
       R"({"Records": [{"eventSource": "s3.amazonaws.com", "eventName": "GetObject",
         "errorCode": "InvalidObjectState", "eventID": "lp",
         "requestParameters": {"bucketName": "longpoll", "key": "k"}}]})",
       5});
  ASSERT_TRUE(sent.ok()) << sent.status().ToString();
  auto start = std::chrono::steady_clock::now();
  int status = serve.Kill(SIGTERM);
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_LT(elapsed, std::chrono::seconds(2))
      << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms";
  // Not lost: journaled (handled before the exit), or back on the queue.
  size_t journaled = Journal("s3://longpoll/").size();
  int on_queue = 0;
  if (journaled == 0) {
    auto back = sqs_->ReceiveMessage({queue_, 10, 10});
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    on_queue = static_cast<int>(back->size());
  }
  EXPECT_EQ(static_cast<int>(journaled) + on_queue, 1);
}

TEST_F(ServeTest, KilledAtRandomMomentsLosesNothingAndRestoresEachObjectOnce) {
  constexpr int kObjects = 500;
  constexpr int kMessages = 1000;  // every object named twice, in different batches
  constexpr int kKills = 5;
  Python(
      "import concurrent.futures as cf\n"
      "c.create_bucket(Bucket='crash')\n"
      "def mk(i):\n"
      "    c.put_object(Bucket='crash', Key='k/%04d' % i, Body=b'x', StorageClass='GLACIER')\n"
      "with cf.ThreadPoolExecutor(8) as ex: list(ex.map(mk, range(" +
      std::to_string(kObjects) + ")))\n");
  // The messages flow in while thaw serve runs and dies: a feeder keeps the queue short (moto's
  // ReceiveMessage slows down with the number of messages queued).
  TempDir feed_dir;
  std::string feeder = feed_dir.WriteFile(
      "feed.py",
      "import boto3, json, sys, time\n"
      "sqs = boto3.client('sqs', endpoint_url=sys.argv[1], region_name='us-east-1',\n"
      "    aws_access_key_id='testing', aws_secret_access_key='testing')\n"
      "q = sys.argv[2]\n"
      "body = lambda i: json.dumps({'Records': [{'eventSource': 's3.amazonaws.com',\n"
      "    'eventName': 'GetObject', 'errorCode': 'InvalidObjectState', 'eventID': str(i),\n"
      "    'requestParameters': {'bucketName': 'crash', 'key': 'k/%04d' % (i % " +
          std::to_string(kObjects) +
          ")}}]})\n"
          "for i in range(0, " +
          std::to_string(kMessages) +
          ", 10):\n"
          "    while int(sqs.get_queue_attributes(QueueUrl=q, AttributeNames=\n"
          "            ['ApproximateNumberOfMessages'])['Attributes']\n"
          "            ['ApproximateNumberOfMessages']) > 40:\n"
          "        time.sleep(0.2)\n"
          "    r = sqs.send_message_batch(QueueUrl=q,\n"
          "        Entries=[{'Id': str(j), 'MessageBody': body(j)} for j in range(i, i + 10)])\n"
          "    assert not r.get('Failed'), r\n"
          "open(sys.argv[3], 'w').write('done')\n");
  std::string done_flag = feed_dir.path() + "/done";
  ChildProcess feed({"python3", feeder, moto_->endpoint(), queue_, done_flag}, {},
                    feed_dir.path() + "/feed.log");

  unsigned seed =
      static_cast<unsigned>(std::chrono::steady_clock::now().time_since_epoch().count());
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> delay_ms(500, 3000);
  // A short visibility timeout so that what a killed process held comes back quickly.
  std::vector<std::string> extra = {"--visibility-timeout", "3", "--max-receives", "50"};
  for (int i = 0; i < kKills; ++i) {
    ChildProcess serve(ServeArgv(moto_->endpoint(), extra), Env(),
                       home_.path() + "/serve" + std::to_string(i) + ".log");
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
    serve.Kill(SIGKILL);
  }
  {
    ChildProcess serve(ServeArgv(moto_->endpoint(), extra), Env(), home_.path() + "/final.log");
    auto drained = [&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(400));
      return std::ifstream(done_flag).good() && QueueDepth(queue_) == std::pair(0, 0);
    };
    ASSERT_TRUE(WaitFor(drained, 120))
        << "queue not drained; seed " << seed << "; depth " << QueueDepth(queue_).first
        << "; logs in " << home_.path() << " and " << feed_dir.path();
    // An empty queue is not the end of the work: a `requested` row a killed run left behind is
    // HEADed at the start and, if S3 never saw it, sent again only after the resend grace
    // (10 s). Every object must reach moto while this last process runs.
    auto all_sent = [&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(400));
      int accepted = 0;
      for (const auto& [path, statuses] : MotoRestoreCalls(moto_->log_path())) {
        accepted += statuses.count(202) > 0;
      }
      return accepted >= kObjects;
    };
    EXPECT_TRUE(WaitFor(all_sent, 60))
        << "some objects never restored; seed " << seed << "; logs in " << home_.path();
    serve.Kill(SIGTERM);
  }
  EXPECT_EQ(QueueDepth(dlq_), std::pair(0, 0)) << "seed " << seed;
  // Exactly one accepted (202) RestoreObject per object. A process killed after sending a
  // request that the server had not yet answered cannot know its fate: the next run HEADs the
  // object and, if the restore is not visible yet, asks again and gets 200 (moto) or 409 (S3).
  // Such repeats are never accepted twice, and there are at most a few per kill.
  auto calls = MotoRestoreCalls(moto_->log_path());
  int exactly_once = 0;
  int repeats = 0;
  for (int i = 0; i < kObjects; ++i) {
    char path[64];
    std::snprintf(path, sizeof path, "/crash/k/%04d", i);
    auto it = calls.find(path);
    ASSERT_TRUE(it != calls.end()) << path << " never restored: a message was lost; seed " << seed;
    std::string statuses;
    int accepted = 0;
    for (const auto& [status, n] : it->second) {
      statuses += " " + std::to_string(status) + "x" + std::to_string(n);
      if (status == 202) {
        accepted = n;
      } else {
        repeats += n;  // 200 or 409, or a 5xx the client retried
      }
    }
    EXPECT_EQ(accepted, 1) << path << " answered" << statuses << "; seed " << seed;
    exactly_once += accepted == 1;
  }
  EXPECT_EQ(exactly_once, kObjects) << "seed " << seed;
  EXPECT_LE(repeats, kKills * 10) << "seed " << seed;
}

}  // namespace
}  // namespace thaw::testing
