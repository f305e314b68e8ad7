// Tests for restore/policy: the first matching rule decides; globs, size ranges and classes
// match as documented; the storage-class facts hold whatever the rules say; the TOML loader
// accepts the documented format and rejects mistakes with file:line.
#include "restore/policy.h"

#include <gtest/gtest.h>

#include "support/test_env.h"

namespace thaw::restore {
namespace {

using s3::RestoreTier;
using std::chrono::hours;

const Clock::TimePoint kNow(std::chrono::seconds(1700000000));
constexpr Clock::Duration kMargin = hours(24);

s3::ObjectInfo Obj(std::string key, std::string cls = "GLACIER", uint64_t size = 100,
                   std::string archive_status = "", std::string bucket = "b") {
  s3::ObjectInfo i;
  i.bucket = std::move(bucket);
  i.key = std::move(key);
  i.size = size;
  i.storage_class = std::move(cls);
  i.archive_status = std::move(archive_status);
  return i;
}

Decision Decide(const Policy& p, const s3::ObjectInfo& i, Overrides o = {}) {
  return p.Decide(i, o, kNow, kMargin);
}

TEST(Policy, DefaultsPerStorageClass) {
  Policy p;
  Decision g = Decide(p, Obj("a", "GLACIER"));
  EXPECT_EQ(g.action, Decision::Action::kRestore);
  EXPECT_EQ(g.tier, RestoreTier::kStandard);
  EXPECT_EQ(g.days, 7);

  Decision d = Decide(p, Obj("a", "DEEP_ARCHIVE"));
  EXPECT_EQ(d.action, Decision::Action::kRestore);
  EXPECT_EQ(d.tier, RestoreTier::kStandard);
  EXPECT_EQ(d.days, 7);

  for (const char* tier : {"ARCHIVE_ACCESS", "DEEP_ARCHIVE_ACCESS"}) {
    Decision it = Decide(p, Obj("a", "INTELLIGENT_TIERING", 100, tier));
    EXPECT_EQ(it.action, Decision::Action::kRestore) << tier;
    EXPECT_EQ(it.tier, RestoreTier::kStandard) << tier;
    EXPECT_FALSE(it.days.has_value()) << tier;  // S3 rejects Days for Intelligent-Tiering
  }
}

TEST(Policy, ReadableClassesAreSkippedWithReason) {
  Policy p;
  for (const char* cls : {"STANDARD", "STANDARD_IA", "ONEZONE_IA", "REDUCED_REDUNDANCY",
                          "GLACIER_IR", "EXPRESS_ONEZONE"}) {
    Decision d = Decide(p, Obj("a", cls));
    EXPECT_EQ(d.action, Decision::Action::kSkip) << cls;
    EXPECT_EQ(d.reason_code, "not_archived");
    EXPECT_EQ(d.message, std::string("not archived: ") + cls);
  }
  // Intelligent-Tiering outside its archive tiers is readable too.
  Decision it = Decide(p, Obj("a", "INTELLIGENT_TIERING"));
  EXPECT_EQ(it.action, Decision::Action::kSkip);
  EXPECT_EQ(it.message, "not archived: INTELLIGENT_TIERING");
}

TEST(Policy, FirstMatchingRuleWins) {
  Rule bulk;
  bulk.prefix = "logs/";
  bulk.tier = RestoreTier::kBulk;
  bulk.days = 3;
  Rule deny_logs;
  deny_logs.prefix = "logs/";
  deny_logs.action = Rule::Action::kDeny;
  Policy p({bulk, deny_logs}, {});
  Decision d = Decide(p, Obj("logs/x"));
  EXPECT_EQ(d.action, Decision::Action::kRestore);
  EXPECT_EQ(d.rule_index, 0);
  EXPECT_EQ(d.tier, RestoreTier::kBulk);
  EXPECT_EQ(d.days, 3);

  Policy reversed({deny_logs, bulk}, {});
  EXPECT_EQ(Decide(reversed, Obj("logs/x")).action, Decision::Action::kSkip);
  // Not matched by either: defaults.
  Decision other = Decide(reversed, Obj("data/x"));
  EXPECT_EQ(other.rule_index, -1);
  EXPECT_EQ(other.tier, RestoreTier::kStandard);
}

TEST(Policy, RuleLeavesUnsetFieldsToDefaults) {
  Rule r;
  r.tier = RestoreTier::kBulk;
  Policy p({r}, PolicyDefaults{RestoreTier::kStandard, 14, true});
  Decision d = Decide(p, Obj("a"));
  EXPECT_EQ(d.tier, RestoreTier::kBulk);
  EXPECT_EQ(d.days, 14);
}

TEST(Policy, DenyGivesReasonWithRuleOrigin) {
  Rule r;
  r.bucket = "secret";
  r.action = Rule::Action::kDeny;
  r.origin = "cfg.toml:7";
  Policy p({r}, {});
  Decision d = Decide(p, Obj("a", "GLACIER", 1, "", "secret"));
  EXPECT_EQ(d.action, Decision::Action::kSkip);
  EXPECT_EQ(d.reason_code, "denied");
  EXPECT_EQ(d.message, "denied by policy rule 1 (cfg.toml:7)");
  EXPECT_EQ(Decide(p, Obj("a", "GLACIER", 1, "", "public")).action, Decision::Action::kRestore);
}

TEST(Policy, GlobMatching) {
  EXPECT_TRUE(GlobMatch("*.h5", "x.h5"));
  EXPECT_FALSE(GlobMatch("*.h5", "x.h5.bak"));
  EXPECT_FALSE(GlobMatch("*.h5", "dir/x.h5"));  // * stops at '/'
  EXPECT_TRUE(GlobMatch("dir/*.h5", "dir/x.h5"));
  EXPECT_FALSE(GlobMatch("dir/*.h5", "dir/sub/x.h5"));
  EXPECT_TRUE(GlobMatch("dir/**.h5", "dir/sub/x.h5"));
  EXPECT_TRUE(GlobMatch("run-?.dat", "run-7.dat"));
  EXPECT_FALSE(GlobMatch("run-?.dat", "run-17.dat"));
  EXPECT_TRUE(GlobMatch("run-[0-9].dat", "run-3.dat"));
  EXPECT_FALSE(GlobMatch("run-[!0-9].dat", "run-3.dat"));
  EXPECT_TRUE(GlobMatch("run-[!0-9].dat", "run-x.dat"));
  EXPECT_TRUE(GlobMatch("", ""));
  EXPECT_TRUE(GlobMatch("**", "a/b/c"));

  // A rule's glob without '/' applies to the last key segment; with '/', to the whole key.
  Rule base;
  base.glob = "*.h5";
  EXPECT_TRUE(base.Matches(Obj("deep/dir/x.h5")));
  EXPECT_FALSE(base.Matches(Obj("deep/dir/x.txt")));
  Rule full;
  full.glob = "deep/*/x.h5";
  EXPECT_TRUE(full.Matches(Obj("deep/dir/x.h5")));
  EXPECT_FALSE(full.Matches(Obj("other/dir/x.h5")));
}

TEST(Policy, SizeRangeIsInclusive) {
  Rule r;
  r.min_size = 100;
  r.max_size = 200;
  EXPECT_FALSE(r.Matches(Obj("a", "GLACIER", 99)));
  EXPECT_TRUE(r.Matches(Obj("a", "GLACIER", 100)));
  EXPECT_TRUE(r.Matches(Obj("a", "GLACIER", 200)));
  EXPECT_FALSE(r.Matches(Obj("a", "GLACIER", 201)));
}

TEST(Policy, ClassMatching) {
  Rule it;
  it.classes = {"INTELLIGENT_TIERING"};
  EXPECT_TRUE(it.Matches(Obj("a", "INTELLIGENT_TIERING", 1, "ARCHIVE_ACCESS")));
  EXPECT_TRUE(it.Matches(Obj("a", "INTELLIGENT_TIERING", 1, "DEEP_ARCHIVE_ACCESS")));
  EXPECT_FALSE(it.Matches(Obj("a", "GLACIER")));
  Rule deep_tier;
  deep_tier.classes = {"DEEP_ARCHIVE_ACCESS"};
  EXPECT_TRUE(deep_tier.Matches(Obj("a", "INTELLIGENT_TIERING", 1, "DEEP_ARCHIVE_ACCESS")));
  EXPECT_FALSE(deep_tier.Matches(Obj("a", "INTELLIGENT_TIERING", 1, "ARCHIVE_ACCESS")));
  EXPECT_FALSE(deep_tier.Matches(Obj("a", "DEEP_ARCHIVE")));
  Rule two;
  two.classes = {"GLACIER", "DEEP_ARCHIVE"};
  EXPECT_TRUE(two.Matches(Obj("a", "DEEP_ARCHIVE")));
  EXPECT_TRUE(two.Matches(Obj("a", "GLACIER")));
}

TEST(Policy, NeverExpeditedForDeepArchiveKinds) {
  Policy p({}, PolicyDefaults{RestoreTier::kExpedited, 7, true});
  Decision g = Decide(p, Obj("a", "GLACIER"));
  EXPECT_EQ(g.tier, RestoreTier::kExpedited);
  EXPECT_TRUE(g.note.empty());
  Decision d = Decide(p, Obj("a", "DEEP_ARCHIVE"));
  EXPECT_EQ(d.tier, RestoreTier::kStandard);
  EXPECT_EQ(d.note, "Expedited not available for DEEP_ARCHIVE: using Standard");
  Decision it = Decide(p, Obj("a", "INTELLIGENT_TIERING", 1, "DEEP_ARCHIVE_ACCESS"));
  EXPECT_EQ(it.tier, RestoreTier::kStandard);
  // Flags too: an override cannot break the rule.
  Decision o = Decide(Policy(), Obj("a", "DEEP_ARCHIVE"), {RestoreTier::kExpedited, 2});
  EXPECT_EQ(o.tier, RestoreTier::kStandard);
  EXPECT_EQ(o.days, 2);
}

TEST(Policy, OverridesWinOverRulesButNotDaysForIntelligentTiering) {
  Rule r;
  r.tier = RestoreTier::kBulk;
  r.days = 3;
  Policy p({r}, {});
  Decision d = Decide(p, Obj("a"), {RestoreTier::kExpedited, 30});
  EXPECT_EQ(d.tier, RestoreTier::kExpedited);
  EXPECT_EQ(d.days, 30);
  Decision it = Decide(p, Obj("a", "INTELLIGENT_TIERING", 1, "ARCHIVE_ACCESS"), {{}, 30});
  EXPECT_FALSE(it.days.has_value());
}

TEST(Policy, RestoreStateDecidesWhetherToSend) {
  Policy p;
  s3::ObjectInfo i = Obj("a");
  i.restore = {s3::RestoreStatus::State::kRestored, kNow + hours(48)};
  Decision far = Decide(p, i);
  EXPECT_EQ(far.action, Decision::Action::kAlreadyRestored);
  EXPECT_EQ(far.restore_expiry, kNow + hours(48));
  i.restore.expiry = kNow + hours(23);  // inside the 24 h renew margin: restore again
  EXPECT_EQ(Decide(p, i).action, Decision::Action::kRestore);
  i.restore = {s3::RestoreStatus::State::kOngoing, std::nullopt};
  EXPECT_EQ(Decide(p, i).action, Decision::Action::kInProgress);
}

TEST(Policy, RenewMarginShrinksWithShortRestores) {
  Policy p;
  s3::ObjectInfo i = Obj("a");
  // A Days=1 copy restored a few hours ago expires within 24 h for its whole life: the margin
  // must not make every run ask again. A quarter of Days (6 h) is the margin then.
  i.restore = {s3::RestoreStatus::State::kRestored, kNow + hours(20)};
  EXPECT_EQ(Decide(p, i, {{}, 1}).action, Decision::Action::kAlreadyRestored);
  i.restore.expiry = kNow + hours(5);
  EXPECT_EQ(Decide(p, i, {{}, 1}).action, Decision::Action::kRestore);
  // Long restores keep the configured margin (24 h here), not a quarter of 30 days.
  i.restore.expiry = kNow + hours(30);
  EXPECT_EQ(Decide(p, i, {{}, 30}).action, Decision::Action::kAlreadyRestored);
  i.restore.expiry = kNow + hours(23);
  EXPECT_EQ(Decide(p, i, {{}, 30}).action, Decision::Action::kRestore);
}

TEST(Policy, DecisionCarriesCostAndDuration) {
  Decision d = Decide(Policy(), Obj("a", "GLACIER", uint64_t{1} << 30));
  EXPECT_NEAR(d.cost.restore_usd(), 0.05 / 1000 + 0.01, 1e-12);
  ASSERT_TRUE(d.duration.has_value());
  EXPECT_EQ(d.duration->earliest, hours(3));
  EXPECT_EQ(d.duration->latest, hours(5));
}

TEST(ParseSize, Units) {
  EXPECT_EQ(ParseSize("1024"), 1024u);
  EXPECT_EQ(ParseSize("1GiB"), uint64_t{1} << 30);
  EXPECT_EQ(ParseSize("1 GiB"), uint64_t{1} << 30);
  EXPECT_EQ(ParseSize("500MB"), 500000000u);
  EXPECT_EQ(ParseSize("1.5KiB"), 1536u);
  EXPECT_EQ(ParseSize("2tib"), uint64_t{2} << 40);
  EXPECT_EQ(ParseSize("7B"), 7u);
  EXPECT_FALSE(ParseSize("").has_value());
  EXPECT_FALSE(ParseSize("GiB").has_value());
  EXPECT_FALSE(ParseSize("1 parsec").has_value());
  EXPECT_FALSE(ParseSize("-1GiB").has_value());
}

constexpr const char* kFullConfig = R"(# thaw policy
[defaults]
tier = "Bulk"
days = 10
expedited_fallback = false

[limits]
restore_requests_per_second = 50
head_requests_per_second = 75.5
concurrency = 8
daily_bytes = "2TiB"
daily_cost_usd = 5.0

[[rule]]
bucket = "b"
prefix = "x/"
glob = "*.h5"
min_size = "1GiB"
max_size = 4294967296
class = ["GLACIER", "DEEP_ARCHIVE"]
tier = "Standard"
days = 3
action = "allow"
expedited_fallback = true

[[rule]]
class = "INTELLIGENT_TIERING"
action = "deny"
)";

TEST(PolicyConfig, ParsesTheDocumentedFormat) {
  auto c = ParsePolicyConfig(kFullConfig, "cfg.toml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const Policy& p = c->policy;
  EXPECT_EQ(p.defaults().tier, RestoreTier::kBulk);
  EXPECT_EQ(p.defaults().days, 10);
  EXPECT_FALSE(p.defaults().expedited_fallback);
  ASSERT_TRUE(c->limits_set);
  EXPECT_EQ(c->limits.restore_requests_per_second, 50);
  EXPECT_EQ(c->limits.head_requests_per_second, 75.5);
  EXPECT_EQ(c->limits.max_concurrency, 8);
  EXPECT_EQ(c->limits.daily_byte_budget, uint64_t{2} << 40);
  EXPECT_EQ(c->limits.daily_cost_budget_usd, 5.0);
  ASSERT_EQ(p.rules().size(), 2u);
  const Rule& r = p.rules()[0];
  EXPECT_EQ(r.bucket, "b");
  EXPECT_EQ(r.prefix, "x/");
  EXPECT_EQ(r.glob, "*.h5");
  EXPECT_EQ(r.min_size, uint64_t{1} << 30);
  EXPECT_EQ(r.max_size, uint64_t{4} << 30);
  EXPECT_EQ(r.classes, (std::vector<std::string>{"GLACIER", "DEEP_ARCHIVE"}));
  EXPECT_EQ(r.tier, RestoreTier::kStandard);
  EXPECT_EQ(r.days, 3);
  EXPECT_EQ(r.action, Rule::Action::kAllow);
  EXPECT_EQ(r.expedited_fallback, true);
  EXPECT_EQ(r.origin, "cfg.toml:14");
  EXPECT_EQ(p.rules()[1].action, Rule::Action::kDeny);
  EXPECT_EQ(p.rules()[1].classes, std::vector<std::string>{"INTELLIGENT_TIERING"});

  // And the policy works as configured.
  Decision hit = p.Decide(Obj("x/run/data.h5", "GLACIER", uint64_t{2} << 30), {}, kNow, kMargin);
  EXPECT_EQ(hit.tier, RestoreTier::kStandard);
  EXPECT_EQ(hit.days, 3);
  Decision miss = p.Decide(Obj("y/data.h5", "GLACIER", 1), {}, kNow, kMargin);
  EXPECT_EQ(miss.tier, RestoreTier::kBulk);
  EXPECT_EQ(miss.days, 10);
  EXPECT_FALSE(miss.expedited_fallback);
  Decision it = p.Decide(Obj("a", "INTELLIGENT_TIERING", 1, "ARCHIVE_ACCESS"), {}, kNow, kMargin);
  EXPECT_EQ(it.action, Decision::Action::kSkip);
  EXPECT_EQ(it.message, "denied by policy rule 2 (cfg.toml:26)");
}

TEST(PolicyConfig, EmptyFileGivesDefaults) {
  auto c = ParsePolicyConfig("", "empty.toml");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->policy.rules().empty());
  EXPECT_EQ(c->policy.defaults().days, 7);
  EXPECT_FALSE(c->limits_set);
}

struct BadCase {
  const char* text;
  const char* error;  // the whole message after "INVALID_ARGUMENT: "
};

TEST(PolicyConfig, RejectsMistakesWithFileAndLine) {
  const BadCase cases[] = {
      {"[defaults]\ntier = \"Fast\"\n",
       "bad.toml:2: tier: 'Fast' is not one of Expedited, Standard, Bulk"},
      {"[[rule]]\nprefix = \"a\"\ndays = -3\n", "bad.toml:3: days: must be >= 1 (got -3)"},
      {"[[rule]]\ndays = 0\n", "bad.toml:2: days: must be >= 1 (got 0)"},
      {"[[rule]]\nprefx = \"a\"\n", "bad.toml:2: unknown key 'prefx' in [[rule]]"},
      {"\n\n[defaults]\nday = 3\n", "bad.toml:4: unknown key 'day' in [defaults]"},
      {"[limits]\nconcurency = 3\n", "bad.toml:2: unknown key 'concurency' in [limits]"},
      {"[limits]\nconcurrency = 0\n",
       "bad.toml:2: concurrency: expected an integer from 1 to 4096"},
      {"[limits]\ndaily_cost_usd = -1\n", "bad.toml:2: daily_cost_usd: must not be negative"},
      {"[[rule]]\nmin_size = \"big\"\n",
       "bad.toml:2: min_size: 'big' is not a size (e.g. \"1GiB\")"},
      {"[[rule]]\nmin_size = 10\nmax_size = 5\n", "bad.toml:3: max_size is smaller than min_size"},
      {"[[rule]]\nclass = [\"STANDARD\"]\n",
       "bad.toml:2: class: 'STANDARD' is not an archive class (GLACIER, DEEP_ARCHIVE, "
       "INTELLIGENT_TIERING, ARCHIVE_ACCESS, DEEP_ARCHIVE_ACCESS)"},
      {"[[rule]]\naction = \"maybe\"\n", "bad.toml:2: action: 'maybe' is not allow or deny"},
      {"[[rule]]\ntier = 3\n", "bad.toml:2: tier: expected a string"},
      {"[[rule]]\ndays = \"7\"\n", "bad.toml:2: days: expected an integer"},
      {"rule = 3\n", "bad.toml:1: rule: expected an array of tables [[rule]]"},
      {"colour = \"blue\"\n", "bad.toml:1: unknown key 'colour' in the top level"},
  };
  for (const BadCase& c : cases) {
    auto r = ParsePolicyConfig(c.text, "bad.toml");
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().message(), c.error) << c.text;
  }
}

TEST(PolicyConfig, SyntaxErrorNamesTheLine) {
  auto r = ParsePolicyConfig("[defaults]\ntier = \"Bulk\"\ndays = = 3\n", "syntax.toml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message().rfind("syntax.toml:3: ", 0), 0u) << r.status().message();
}

TEST(PolicyConfig, LoadsFromFile) {
  thaw::testing::TempDir dir;
  std::string path = dir.WriteFile("config.toml", "[defaults]\ndays = 2\n");
  auto c = LoadPolicyConfig(path);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->policy.defaults().days, 2);
  auto bad = LoadPolicyConfig(dir.WriteFile("bad.toml", "[defaults]\n\ndays = -1\n"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), dir.path() + "/bad.toml:3: days: must be >= 1 (got -1)");
  EXPECT_TRUE(LoadPolicyConfig(dir.path() + "/missing.toml").status().IsNotFound());
}

}  // namespace
}  // namespace thaw::restore
