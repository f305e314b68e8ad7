// S3 Inventory on the sim, end to end: boto3 configures an inventory and reads the sim's daily
// reports in AWS's layout (tests/sim/py/inventory.py); then `thaw restore --inventory` and
// `thaw ls --inventory` read the same report from the sim, and bad reports (another bucket, a
// data file whose MD5 no longer matches) are refused before the journal is touched.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "sim/sim_harness.h"

namespace thaw::testing {
namespace {

namespace fs = std::filesystem;

std::string ManifestKey(const std::string& py_out) {
  size_t at = py_out.rfind("manifest=");
  if (at == std::string::npos) return "";
  std::string rest = py_out.substr(at + 9);
  return rest.substr(0, rest.find('\n'));
}

int Thaw(const Sim& sim, const std::string& args, std::string* out) {
  return RunCommand(
      AwsEnv() + ThawBinary() + " " + args + " --endpoint-url " + sim.endpoint() + " 2>&1", out);
}

TEST(SimInventory, Boto3ConfiguresAndReadsDailyReportsInAwsLayout) {
  TempDir dir;
  Sim sim(dir.path() + "/data");
  ASSERT_FALSE(sim.endpoint().empty()) << sim.Log();
  std::string out = RunPy(sim, "inventory.py");
  EXPECT_NE(out.find("ok"), std::string::npos) << out;
}

TEST(SimInventory, ThawRestoresWhatTheReportListsAndRefusesBadReports) {
  TempDir dir;
  Sim sim(dir.path() + "/data");
  ASSERT_FALSE(sim.endpoint().empty()) << sim.Log();
  std::string key = ManifestKey(RunPy(sim, "inventory.py"));
  ASSERT_FALSE(key.empty());
  std::string report = "s3://reports/" + key;

  // The operator's first question: what is in there, what would it cost.
  std::string out;
  ASSERT_EQ(Thaw(sim, "ls --inventory " + report, &out), 0) << out;
  EXPECT_NE(out.find("DEEP_ARCHIVE"), std::string::npos) << out;
  EXPECT_NE(out.find("INTELLIGENT_TIERING ARCHIVE_ACCESS"), std::string::npos) << out;
  EXPECT_NE(out.find("cold/"), std::string::npos) << out;
  EXPECT_NE(out.find("Bulk"), std::string::npos) << out;

  // Another bucket than the report's: refused, nothing journaled.
  std::string bad_state = dir.path() + "/bad-state";
  EXPECT_NE(
      Thaw(sim, "restore --inventory " + report + " s3://other --quiet --state-dir " + bad_state,
           &out),
      0);
  EXPECT_NE(out.find("inventory of bucket 'src', not of 'other'"), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(bad_state + "/journal.db"));

  std::string state = dir.path() + "/state";
  std::string restore = "restore --inventory " + report + " s3://src --quiet --json --state-dir " +
                        state + " --tier Bulk --days 1";
  ASSERT_EQ(Thaw(sim, restore, &out), 0) << out;
  auto j = nlohmann::json::parse(out.substr(out.find('{')), nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << out;
  EXPECT_EQ(j["requested"], 3) << out;  // GLACIER, DEEP_ARCHIVE, IT Archive Access
  EXPECT_EQ(j["failed"], 0) << out;
  // Every archived object of the report now shows its restore running.
  std::string heads = Boto(sim,
                           "for k in ['cold/a b,c.dat', 'cold/deep.h5', 'it/archived']:\n"
                           "    h = s3.head_object(Bucket='src', Key=k)\n"
                           "    print(k, h.get('Restore', 'none'))\n");
  EXPECT_EQ(std::count(heads.begin(), heads.end(), '\n'), 3) << heads;
  EXPECT_EQ(heads.find("none"), std::string::npos) << heads;

  // A rerun sends nothing new.
  ASSERT_EQ(Thaw(sim, restore, &out), 0) << out;
  j = nlohmann::json::parse(out.substr(out.find('{')), nullptr, false);
  EXPECT_EQ(j["requested"], 0) << out;

  // A data file replaced after the manifest was written: refused by MD5, nothing journaled.
  Boto(sim,
       "m = json.loads(s3.get_object(Bucket='reports', Key='" + key +
           "')['Body'].read())\n"
           "s3.put_object(Bucket='reports', Key=m['files'][0]['key'], Body=b'not the report')\n");
  std::string fresh = dir.path() + "/fresh-state";
  EXPECT_NE(Thaw(sim, "restore --inventory " + report + " --quiet --state-dir " + fresh, &out), 0);
  EXPECT_NE(out.find("MD5"), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(fresh + "/journal.db"));
}

}  // namespace
}  // namespace thaw::testing
