// `thaw restore` and `thaw status` as a user runs them, against moto_server: a mixed prefix of
// 1,000 objects where only the archived ones get a RestoreObject (with the asked tier and Days,
// seen through a counting proxy because moto ignores Tier and logs no bodies), a second run that
// sends nothing, dry-run estimates equal to the price table, the journal through `thaw status`,
// manifests, --wait, budgets, the config file, and bad input.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <set>
#include <thread>

#include "integration/moto_client.h"
#include "integration/thaw_cli.h"
#include "support/process.h"

namespace thaw::testing {
namespace {

// A boto3 client with a connection pool for the threaded setup scripts.
constexpr const char* kPool =
    "import concurrent.futures as cf\n"
    "c = boto3.client('s3', endpoint_url=s3.meta.endpoint_url, region_name='us-east-1',\n"
    "    aws_access_key_id='testing', aws_secret_access_key='testing',\n"
    "    config=Config(s3={'addressing_style': 'path'}, max_pool_connections=16))\n";

class RestoreCliTest : public MotoTest {
 protected:
  ThawRun Thaw(const std::string& args, const std::string& endpoint = "") {
    return RunThaw(args + " --state-dir " + home_.path() + "/state",
                   endpoint.empty() ? moto_->endpoint() : endpoint, home_.path());
  }
  void Boto(const std::string& body) {
    int rc = 0;
    std::string out = RunBoto3(moto_->endpoint(), body, &rc);
    ASSERT_EQ(rc, 0) << out;
  }
  // key -> has a Restore header (HEAD through boto3).
  std::map<std::string, bool> RestoreHeaders(const std::string& bucket) {
    int rc = 0;
    std::string out = RunBoto3(moto_->endpoint(),
                               std::string(kPool) +
                                   "keys = [o['Key'] for p in c.get_paginator('list_objects_v2')"
                                   ".paginate(Bucket='" +
                                   bucket +
                                   "') for o in p.get('Contents', [])]\n"
                                   "def head(k): return k, 'Restore' in c.head_object(Bucket='" +
                                   bucket +
                                   "', Key=k)\n"
                                   "with cf.ThreadPoolExecutor(8) as ex:\n"
                                   "    print(json.dumps(dict(ex.map(head, keys))))\n",
                               &rc);
    EXPECT_EQ(rc, 0) << out;
    std::map<std::string, bool> m;
    nlohmann::json parsed = nlohmann::json::parse(out, nullptr, false);
    if (!parsed.is_object()) return m;
    for (auto it = parsed.begin(); it != parsed.end(); ++it) m[it.key()] = it.value().get<bool>();
    return m;
  }
  int MotoRestores() { return TotalCalls(MotoRestoreCalls(moto_->log_path())); }

  TempDir home_;
};

// The mixed prefix: every fifth object of each class; GLACIER and DEEP_ARCHIVE are archived.
constexpr int kMixed = 250;
constexpr int kMixedArchived = kMixed * 2 / 5;
const char* const kClasses[] = {"STANDARD", "STANDARD_IA", "GLACIER", "DEEP_ARCHIVE", "GLACIER_IR"};
std::string MixedKey(int i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "p/%04d.dat", i);
  return buf;
}
uint64_t MixedSize(int i) {
  return static_cast<uint64_t>(i % 50 + 1);
}

TEST_F(RestoreCliTest, RecursiveRestoreOfMixedPrefix) {
  Boto(std::string(kPool) +
       "c.create_bucket(Bucket='rbkt')\n"
       "classes = ['STANDARD', 'STANDARD_IA', 'GLACIER', 'DEEP_ARCHIVE', 'GLACIER_IR']\n"
       "def put(i):\n"
       "    c.put_object(Bucket='rbkt', Key='p/%04d.dat' % i, Body=b'x' * (i % 50 + 1),\n"
       "                 StorageClass=classes[i % 5])\n"
       "with cf.ThreadPoolExecutor(8) as ex: list(ex.map(put, range(" +
       std::to_string(kMixed) +
       ")))\n"
       "c.put_object(Bucket='rbkt', Key='other/x', Body=b'x', StorageClass='GLACIER')\n");

  // Dry run: counts and the price table (facts doc), nothing sent, nothing journaled.
  ThawRun dry = Thaw("restore s3://rbkt/p --recursive --tier Standard --days 3 --dry-run --json");
  ASSERT_EQ(dry.rc, 0) << dry.err;
  nlohmann::json d = dry.Json();
  ASSERT_TRUE(d.is_object()) << dry.out;
  EXPECT_EQ(d["dry_run"], true);
  EXPECT_EQ(d["scanned"], kMixed);
  EXPECT_EQ(d["archived"], kMixedArchived);
  EXPECT_EQ(d["requested"], kMixedArchived);
  EXPECT_EQ(d["skipped"], kMixed - kMixedArchived);
  double expected = 0;
  for (int i = 0; i < kMixed; ++i) {
    double gb = MixedSize(i) / (1024.0 * 1024.0 * 1024.0);
    if (i % 5 == 2) expected += 0.05 / 1000 + 0.01 * gb;  // GLACIER Standard
    if (i % 5 == 3) expected += 0.10 / 1000 + 0.02 * gb;  // DEEP_ARCHIVE Standard
  }
  EXPECT_NEAR(d["estimated_cost_usd"].get<double>(), expected, 1e-9);
  ASSERT_EQ(d["by_class"].size(), 2u) << d.dump();
  for (const auto& line : d["by_class"]) {
    EXPECT_EQ(line["objects"], kMixed / 5);
    EXPECT_EQ(line["tier"], "Standard");
  }
  EXPECT_EQ(MotoRestores(), 0);
  ThawRun empty = Thaw("status --json");
  ASSERT_EQ(empty.rc, 0) << empty.err;
  EXPECT_EQ(empty.out, "");

  // The restore, through the counting proxy: one RestoreObject per archived object, Bulk, 3 days.
  TempDir proxy_dir;
  std::string proxy_log = proxy_dir.path() + "/restores.jsonl";
  int proxy_port = FreePort();
  ChildProcess proxy({"python3", SourceDir() + "/tests/integration/restore_proxy.py",
                      std::to_string(proxy_port), std::to_string(moto_->port()), proxy_log},
                     {}, proxy_dir.path() + "/proxy.log");
  ASSERT_TRUE(WaitForPort(proxy_port, 20000));
  ThawRun run = Thaw("restore s3://rbkt/p --recursive --tier Bulk --days 3 --json",
                     "http://127.0.0.1:" + std::to_string(proxy_port));
  ASSERT_EQ(run.rc, 0) << run.err;
  nlohmann::json j = run.Json();
  ASSERT_TRUE(j.is_object()) << run.out;
  EXPECT_EQ(j["scanned"], kMixed);
  EXPECT_EQ(j["archived"], kMixedArchived);
  EXPECT_EQ(j["requested"], kMixedArchived);
  EXPECT_EQ(j["already_restored"], 0);
  EXPECT_EQ(j["in_progress"], kMixedArchived);
  EXPECT_EQ(j["skipped"], kMixed - kMixedArchived);
  EXPECT_EQ(j["skipped_by_reason"]["not_archived"], kMixed - kMixedArchived);
  EXPECT_EQ(j["failed"], 0);
  double bulk_cost = 0;  // GLACIER Bulk is free; DEEP_ARCHIVE Bulk $0.025/1000 + $0.0025/GB
  for (int i = 3; i < kMixed; i += 5) {
    bulk_cost += 0.025 / 1000 + 0.0025 * MixedSize(i) / (1024.0 * 1024.0 * 1024.0);
  }
  EXPECT_NEAR(j["estimated_cost_usd"].get<double>(), bulk_cost, 1e-9);
  std::ifstream in(proxy_log);
  std::set<std::string> restored_paths;
  int lines = 0;
  for (std::string line; std::getline(in, line);) {
    nlohmann::json e = nlohmann::json::parse(line);
    ++lines;
    std::string path = e["path"];
    restored_paths.insert(path.substr(0, path.find('?')));
    EXPECT_EQ(e["tier"], "Bulk") << line;
    EXPECT_EQ(e["days"], 3) << line;
    EXPECT_EQ(e["status"], 202) << line;
  }
  EXPECT_EQ(lines, kMixedArchived);
  std::set<std::string> archived_paths;
  for (int i = 0; i < kMixed; ++i) {
    if (i % 5 == 2 || i % 5 == 3) archived_paths.insert("/rbkt/" + MixedKey(i));
  }
  EXPECT_EQ(restored_paths, archived_paths);

  // S3's view (boto3 HEAD): a Restore header on exactly the archived objects under the prefix.
  std::map<std::string, bool> headers = RestoreHeaders("rbkt");
  ASSERT_EQ(headers.size(), kMixed + 1u);
  for (int i = 0; i < kMixed; ++i) {
    bool archived = i % 5 == 2 || i % 5 == 3;
    EXPECT_EQ(headers[MixedKey(i)], archived) << MixedKey(i) << " " << kClasses[i % 5];
  }
  EXPECT_FALSE(headers["other/x"]);

  // A second run sends no RestoreObject: everything is restored already.
  int before = MotoRestores();
  EXPECT_EQ(before, kMixedArchived);
  ThawRun again = Thaw("restore s3://rbkt/p --recursive --tier Bulk --days 3 --json");
  ASSERT_EQ(again.rc, 0) << again.err;
  nlohmann::json a = again.Json();
  EXPECT_EQ(a["requested"], 0) << again.out;
  EXPECT_EQ(a["archived"], kMixedArchived);
  // Rows the first run left in progress are re-checked at start (resume); an object may be
  // counted before or after that check.
  EXPECT_EQ(a["already_restored"].get<int>() + a["already_in_progress"].get<int>(), kMixedArchived);
  EXPECT_EQ(MotoRestores(), before);

  // `thaw status --refresh --json`: one line per archived object, restored, as requested.
  ThawRun st = Thaw("status s3://rbkt --refresh --json");
  ASSERT_EQ(st.rc, 0) << st.err;
  std::vector<nlohmann::json> rows = JsonLines(st.out);
  ASSERT_EQ(rows.size(), static_cast<size_t>(kMixedArchived));
  for (const auto& r : rows) {
    EXPECT_EQ(r["bucket"], "rbkt");
    EXPECT_TRUE(archived_paths.count("/rbkt/" + r["key"].get<std::string>())) << r.dump();
    EXPECT_EQ(r["state"], "restored") << r.dump();
    EXPECT_EQ(r["tier"], "Bulk");
    EXPECT_EQ(r["days"], 3);
    EXPECT_EQ(r["source"], "cli");
    EXPECT_TRUE(r["restore_expiry"].is_string()) << r.dump();
    for (const char* field : {"version_id", "requested_at", "eta", "error"}) {
      EXPECT_TRUE(r.contains(field)) << field;
    }
  }
  ThawRun human = Thaw("status s3://rbkt/p/000");
  ASSERT_EQ(human.rc, 0) << human.err;
  EXPECT_NE(human.out.find("4 restores in the journal: restored 4"), std::string::npos)
      << human.out;
}

// moto's listings cannot say whether an archived object already has a restored copy. By default
// thaw sends RestoreObject anyway, as S3 Batch Operations and the other tools do (S3 answers 200
// for a restored copy); --check-restored HEADs first, so a copy someone else restored for 30
// days gets no request and keeps its expiry.
TEST_F(RestoreCliTest, CopiesRestoredElsewhereGetARequestUnlessCheckRestored) {
  Boto(
      "from datetime import datetime, timedelta, timezone\n"
      "s3.create_bucket(Bucket='ebkt')\n"
      "for p in ['blind', 'checked']:\n"
      "    for i in range(6):\n"
      "        s3.put_object(Bucket='ebkt', Key='%s/%d' % (p, i), Body=b'x', "
      "StorageClass='GLACIER')\n"
      "    for i in range(3):\n"
      "        s3.restore_object(Bucket='ebkt', Key='%s/%d' % (p, i),\n"
      "                          RestoreRequest={'Days': 30})\n");
  auto calls_for = [&](const std::string& prefix, int status) {
    int n = 0;
    for (const auto& [path, by_status] : MotoRestoreCalls(moto_->log_path())) {
      if (path.rfind("/ebkt/" + prefix + "/", 0) != 0) continue;
      auto it = by_status.find(status);
      if (it != by_status.end()) n += it->second;
    }
    return n;
  };
  ASSERT_EQ(calls_for("blind", 202), 3);
  ASSERT_EQ(calls_for("checked", 202), 3);

  ThawRun blind = Thaw("restore s3://ebkt/blind --recursive --days 3 --json");
  ASSERT_EQ(blind.rc, 0) << blind.err;
  EXPECT_EQ(blind.Json()["failed"], 0) << blind.out;
  EXPECT_EQ(calls_for("blind", 202), 6);  // three new restores
  EXPECT_EQ(calls_for("blind", 200), 3);  // and S3's answer for the copies restored before
  ThawRun st = Thaw("status s3://ebkt/blind --json");
  std::vector<nlohmann::json> rows = JsonLines(st.out);
  ASSERT_EQ(rows.size(), 6u) << st.out;
  int restored = 0;
  for (const auto& r : rows) restored += r["state"] == "restored";
  EXPECT_EQ(restored, 3) << st.out;

  ThawRun checked = Thaw("restore s3://ebkt/checked --recursive --check-restored --days 3 --json");
  ASSERT_EQ(checked.rc, 0) << checked.err;
  nlohmann::json c = checked.Json();
  EXPECT_EQ(c["requested"], 3) << checked.out;
  EXPECT_EQ(c["already_restored"], 3);
  EXPECT_EQ(calls_for("checked", 202), 6);
  EXPECT_EQ(calls_for("checked", 200), 0);  // the 30-day copies got no request
  int rc = 0;
  std::string days_left = RunBoto3(
      moto_->endpoint(),
      "import email.utils\n"
      "from datetime import datetime, timezone\n"
      "h = s3.head_object(Bucket='ebkt', Key='checked/0')['Restore']\n"
      "expiry = email.utils.parsedate_to_datetime(h.split('expiry-date=\"')[1].split('\"')[0])\n"
      "print((expiry - datetime.now(timezone.utc)).days)\n",
      &rc);
  ASSERT_EQ(rc, 0) << days_left;
  EXPECT_GE(std::atoi(days_left.c_str()), 28) << "the copy restored for 30 days lost its expiry";

  // Both flags at once contradict.
  ThawRun both =
      Thaw("restore s3://ebkt/checked --recursive --check-restored --assume-not-restored");
  EXPECT_EQ(both.rc, 2);
  EXPECT_NE(both.err.find("contradict"), std::string::npos) << both.err;
}

// A rerun after some objects were replaced by fresh archived ones (no restore): the journal
// still shows the earlier restores in progress. Those objects are restored again; the others,
// still restored in S3, get no second request.
TEST_F(RestoreCliTest, ARerunRestoresWhatLostItsRestoreAndNothingElse) {
  Boto(
      "s3.create_bucket(Bucket='again')\n"
      "for i in range(10):\n"
      "    s3.put_object(Bucket='again', Key='r/%d' % i, Body=b'x', StorageClass='GLACIER')\n");
  ThawRun first = Thaw("restore s3://again/r --recursive --json");
  ASSERT_EQ(first.rc, 0) << first.err;
  EXPECT_EQ(first.Json()["requested"], 10) << first.out;
  Boto(
      "for i in range(4):\n"
      "    s3.put_object(Bucket='again', Key='r/%d' % i, Body=b'y', StorageClass='GLACIER')\n");
  int before = MotoRestores();
  ThawRun second = Thaw("restore s3://again/r --recursive --json");
  ASSERT_EQ(second.rc, 0) << second.err;
  nlohmann::json j = second.Json();
  EXPECT_EQ(j["requested"], 4) << second.out;
  // moto finishes restores at once: the six count as restored (or, before their HEAD, running).
  EXPECT_EQ(j["already_restored"].get<int>() + j["already_in_progress"].get<int>(), 6)
      << second.out;
  EXPECT_EQ(MotoRestores(), before + 4);
  std::map<std::string, bool> headers = RestoreHeaders("again");
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(headers["r/" + std::to_string(i)]) << i;
}

TEST_F(RestoreCliTest, ManifestRestoresListedKeysOnly) {
  Boto(
      "s3.create_bucket(Bucket='mbkt')\n"
      "for key, cls in [('m/a b+c.dat', 'GLACIER'), ('m/plain', 'DEEP_ARCHIVE'),\n"
      "                 ('m/not-listed', 'GLACIER'), ('m/hot', 'STANDARD')]:\n"
      "    s3.put_object(Bucket='mbkt', Key=key, Body=b'12345', StorageClass=cls)\n");
  TempDir dir;
  // S3 Batch Operations style: URL-encoded keys ('+' is a space), quoted fields allowed.
  std::string manifest = dir.WriteFile("list.csv",
                                       "mbkt,m/a+b%2Bc.dat\n"
                                       "\"mbkt\",\"m/plain\"\r\n"
                                       "mbkt,m/hot\n");
  ThawRun r = Thaw("restore --manifest " + manifest + " --days 2 --json");
  ASSERT_EQ(r.rc, 0) << r.err;
  nlohmann::json j = r.Json();
  EXPECT_EQ(j["scanned"], 3) << r.out;
  EXPECT_EQ(j["requested"], 2);
  EXPECT_EQ(j["skipped"], 1);
  std::map<std::string, bool> headers = RestoreHeaders("mbkt");
  EXPECT_TRUE(headers["m/a b+c.dat"]);
  EXPECT_TRUE(headers["m/plain"]);
  EXPECT_FALSE(headers["m/not-listed"]);
  EXPECT_FALSE(headers["m/hot"]);

  // A malformed manifest is refused before anything is sent, naming the line.
  int before = MotoRestores();
  std::string bad = dir.WriteFile("bad.csv", "mbkt,m/not-listed\nmbkt\n");
  ThawRun b = Thaw("restore --manifest " + bad);
  EXPECT_EQ(b.rc, 2);
  EXPECT_NE(b.err.find("bad.csv:2: expected bucket,key[,version_id]"), std::string::npos) << b.err;
  EXPECT_EQ(MotoRestores(), before);
}

TEST_F(RestoreCliTest, WaitReturnsWhenRestoresComplete) {
  Boto(
      "s3.create_bucket(Bucket='wbkt')\n"
      "for i in range(5):\n"
      "    s3.put_object(Bucket='wbkt', Key='w/%d' % i, Body=b'x', StorageClass='GLACIER')\n");
  auto start = std::chrono::steady_clock::now();
  ThawRun r = Thaw(
      "restore s3://wbkt/w --recursive --tier Expedited --wait --poll-interval 1s "
      "--timeout 60s --json");
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(r.rc, 0) << r.err;
  nlohmann::json j = r.Json();
  EXPECT_EQ(j["requested"], 5) << r.out;
  EXPECT_EQ(j["restored"], 5);
  EXPECT_EQ(j["in_progress"], 0);
  EXPECT_EQ(j["timed_out"], false);
  EXPECT_LT(took, std::chrono::seconds(30));
  ThawRun st = Thaw("status --json");
  for (const auto& row : JsonLines(st.out)) EXPECT_EQ(row["state"], "restored");
}

TEST_F(RestoreCliTest, BudgetRefusalHasItsOwnExitCode) {
  Boto(
      "s3.create_bucket(Bucket='bbkt')\n"
      "for i in range(3):\n"
      "    s3.put_object(Bucket='bbkt', Key='d/%d' % i, Body=b'x', StorageClass='DEEP_ARCHIVE')\n");
  // DEEP_ARCHIVE Standard costs $0.0001 a request: the budget holds one.
  ThawRun r = Thaw(
      "restore s3://bbkt/d --recursive --tier Standard --daily-budget-usd 0.00015 "
      "--concurrency 1 --json");
  EXPECT_EQ(r.rc, 5) << r.out << r.err;
  nlohmann::json j = r.Json();
  EXPECT_EQ(j["requested"], 1) << r.out;
  EXPECT_EQ(j["skipped_by_reason"]["over_budget"], 2);
  EXPECT_EQ(MotoRestores(), 1);
}

TEST_F(RestoreCliTest, DefaultConfigFilePolicyApplies) {
  Boto(
      "s3.create_bucket(Bucket='cbkt')\n"
      "s3.put_object(Bucket='cbkt', Key='c/deny/x', Body=b'x', StorageClass='GLACIER')\n"
      "s3.put_object(Bucket='cbkt', Key='c/ok/y', Body=b'x', StorageClass='GLACIER')\n");
  home_.WriteFile(".config/thaw/config.toml",
                  "[defaults]\ntier = \"Bulk\"\ndays = 2\n\n"
                  "[[rule]]\nprefix = \"c/deny/\"\naction = \"deny\"\n");
  ThawRun r = Thaw("restore s3://cbkt/c --recursive --json");
  ASSERT_EQ(r.rc, 0) << r.err;
  nlohmann::json j = r.Json();
  EXPECT_EQ(j["requested"], 1) << r.out;
  EXPECT_EQ(j["skipped_by_reason"]["denied"], 1);
  ThawRun st = Thaw("status s3://cbkt/c/ok --json");
  std::vector<nlohmann::json> rows = JsonLines(st.out);
  ASSERT_EQ(rows.size(), 1u) << st.out;
  EXPECT_EQ(rows[0]["tier"], "Bulk");
  EXPECT_EQ(rows[0]["days"], 2);
  // The default state dir is under HOME when --state-dir is absent.
  ThawRun def = RunThaw("restore s3://cbkt/c/ok/y --json", moto_->endpoint(), home_.path());
  ASSERT_EQ(def.rc, 0) << def.err;
  std::ifstream journal(home_.path() + "/.local/state/thaw/journal.db");
  EXPECT_TRUE(journal.good());
}

TEST_F(RestoreCliTest, BadInputIsAUsageError) {
  TempDir dir;
  std::string bad_toml = dir.WriteFile("bad.toml", "[defaults]\ntier = \"Slow\"\n");
  struct Case {
    std::string args;
    std::string message;
  };
  const Case cases[] = {
      {"restore", "give either s3://BUCKET/KEY"},
      {"restore bkt/key", "is not an S3 URI"},
      {"restore s3://bkt/prefix/", "add --recursive"},
      {"restore s3://bkt/k --tier Fast", "--tier 'Fast': expected Expedited, Standard or Bulk"},
      {"restore s3://bkt/k --days 0", "--days 0: must be between 1 and 36500"},
      {"restore s3://bkt/k --days many", "--days"},
      {"restore --manifest " + dir.path() + "/missing.csv", "missing.csv: cannot open"},
      {"restore s3://bkt/k --manifest x.csv", "give either"},
      {"restore s3://bkt/k --frobnicate", "--frobnicate"},
      {"restore s3://bkt/k --timeout soon", "--timeout 'soon'"},
      {"--config " + dir.path() + "/none.toml restore s3://bkt/k", "none.toml"},
      {"--config " + bad_toml + " restore s3://bkt/k", "bad.toml:2: tier: 'Slow'"},
      {"status s3:/x", "is not an S3 URI"},
  };
  for (const Case& c : cases) {
    ThawRun r = Thaw(c.args);
    EXPECT_EQ(r.rc, 2) << c.args << "\n" << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.args << "\n" << r.err;
  }
  EXPECT_EQ(MotoRestores(), 0);
}

// A command line for ChildProcess running thaw on a pseudo-terminal (pty_run.py forwards
// Ctrl-C), with the isolated environment of RunThaw.
std::vector<std::string> OnTerminal(const std::string& home, std::vector<std::string> thaw_args) {
  std::vector<std::string> argv = {"python3",
                                   SourceDir() + "/tests/integration/pty_run.py",
                                   "env",
                                   "AWS_ACCESS_KEY_ID=testing",
                                   "AWS_SECRET_ACCESS_KEY=testing",
                                   "AWS_CONFIG_FILE=/nonexistent",
                                   "AWS_SHARED_CREDENTIALS_FILE=/nonexistent",
                                   "AWS_EC2_METADATA_DISABLED=true",
                                   "HOME=" + home,
                                   "TERM=xterm",
                                   ThawBinary()};
  argv.insert(argv.end(), thaw_args.begin(), thaw_args.end());
  return argv;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Polls `path` until it contains `needle` (bounded: a broken command fails, never hangs).
bool FileEventuallyContains(const std::string& path, const std::string& needle) {
  for (int i = 0; i < 600; ++i) {
    if (ReadAll(path).find(needle) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

size_t Occurrences(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

TEST_F(RestoreCliTest, StatusWatchRedrawsTheJournalUntilCtrlC) {
  Boto(
      "s3.create_bucket(Bucket='wtch')\n"
      "for k in ('first', 'second'):\n"
      "    s3.put_object(Bucket='wtch', Key=k, Body=b'x', StorageClass='GLACIER')\n");
  ASSERT_EQ(Thaw("restore s3://wtch/first").rc, 0);

  std::string screen = home_.path() + "/screen";
  ChildProcess watch(
      OnTerminal(home_.path(), {"status", "s3://wtch", "--watch", "1", "--state-dir",
                                home_.path() + "/state", "--endpoint-url", moto_->endpoint()}),
      {}, screen);
  ASSERT_TRUE(FileEventuallyContains(screen, "s3://wtch/first")) << ReadAll(screen);
  EXPECT_EQ(ReadAll(screen).find("s3://wtch/second"), std::string::npos);

  // A restore by another process shows up on a later screen, drawn over the earlier one.
  ASSERT_EQ(Thaw("restore s3://wtch/second").rc, 0);
  ASSERT_TRUE(FileEventuallyContains(screen, "s3://wtch/second")) << ReadAll(screen);
  EXPECT_GE(Occurrences(ReadAll(screen), "\033[H\033[2J"), 2u);

  int status = watch.Kill(SIGINT);  // Ctrl-C ends the watch, successfully
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0) << ReadAll(screen);
}

TEST_F(RestoreCliTest, ProgressIsOneLineRedrawnOnATerminal) {
  Boto(
      "s3.create_bucket(Bucket='tty')\n"
      "for i in range(3):\n"
      "    s3.put_object(Bucket='tty', Key='t/%d' % i, Body=b'xy', StorageClass='GLACIER')\n");
  std::string screen = home_.path() + "/screen";
  ChildProcess run(
      OnTerminal(home_.path(), {"restore", "s3://tty/t", "--recursive", "--state-dir",
                                home_.path() + "/state", "--endpoint-url", moto_->endpoint()}),
      {}, screen);
  ASSERT_TRUE(FileEventuallyContains(screen, "requested 3")) << ReadAll(screen);
  // The process ends by itself; Kill only reaps it (it has exited, or SIGCONT is harmless).
  for (int i = 0; i < 600 && run.running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  int status = run.Kill(SIGCONT);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0) << ReadAll(screen);
  std::string out = ReadAll(screen);
  // Every progress update starts with carriage return + erase line: the bar stays on one line
  // (no "thaw: " plain progress lines as on a pipe).
  size_t bar = out.find("\r\033[K");
  ASSERT_NE(bar, std::string::npos) << out;
  EXPECT_NE(out.find("requested 3", bar), std::string::npos) << out;
  EXPECT_EQ(out.find("thaw: scanned"), std::string::npos) << out;
}

}  // namespace
}  // namespace thaw::testing
