// Restore policy: which archived objects may be restored, with which tier and for how many
// days, and the engine's limits. Ordered rules are matched by bucket, key prefix, key glob,
// object size range and storage class; the first rule that matches decides (allow or deny, and
// the tier/days it sets; what it leaves unset comes from [defaults]). Storage-class facts are
// then enforced whatever the rules say: no request for readable classes, Days for
// GLACIER/DEEP_ARCHIVE, none for Intelligent-Tiering archive tiers, never Expedited for Deep
// Archive kinds.
//
// Config file (TOML; `thaw --config`, default ~/.config/thaw/config.toml):
//   [defaults]
//   tier = "Standard"            # Expedited | Standard | Bulk
//   days = 7                     # GLACIER/DEEP_ARCHIVE only
//   expedited_fallback = true    # 503 Expedited capacity: retry as Standard
//   [limits]
//   restore_requests_per_second = 3500  # ceiling of the adaptive rate; 0: none
//   head_requests_per_second = 5500
//   concurrency = 32
//   adaptive_concurrency = true         # thaw restore: fewer in flight where as fast
//   daily_bytes = "10TiB"               # 0 or absent: unlimited
//   daily_cost_usd = 5.0
//   [[rule]]                            # first match wins; every field optional
//   bucket = "b"  prefix = "x/"  glob = "*.h5"  min_size = "1GiB"  max_size = "1TiB"
//   class = ["GLACIER"]  tier = "Bulk"  days = 3  action = "allow"  expedited_fallback = false
// Unknown keys, bad values and type errors are rejected with `file:line: reason`.
//
// Thread safety: a Policy is immutable after construction; share it freely.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "restore/cost.h"
#include "s3/types.h"

namespace thaw::restore {

struct Rule {
  enum class Action { kAllow, kDeny };
  // Matchers; empty/unset matches everything.
  std::string bucket;                // exact bucket name
  std::string prefix;                // key prefix
  std::string glob;                  // see GlobMatch; without '/' it matches the last segment
  std::optional<uint64_t> min_size;  // inclusive, bytes
  std::optional<uint64_t> max_size;  // inclusive, bytes
  // GLACIER, DEEP_ARCHIVE, INTELLIGENT_TIERING (both archive tiers), ARCHIVE_ACCESS,
  // DEEP_ARCHIVE_ACCESS.
  std::vector<std::string> classes;
  // Effects.
  Action action = Action::kAllow;
  std::optional<s3::RestoreTier> tier;
  std::optional<int> days;
  std::optional<bool> expedited_fallback;
  std::string origin;  // "config.toml:12" for messages; "" for rules built in code

  bool Matches(const s3::ObjectInfo& info) const;
};

struct PolicyDefaults {
  s3::RestoreTier tier = s3::RestoreTier::kStandard;
  int days = 7;
  bool expedited_fallback = true;
};

// The engine's limits ([limits] in the config file; flags such as --concurrency override).
// 0 means unlimited everywhere.
struct Limits {
  // Ceilings of the adaptive rates (limiter.h): S3's documented capacity per prefix, 3,500
  // writes (RestoreObject is a POST) and 5,500 reads per second. Below them the rate follows
  // S3's answers: cut on 503 SlowDown, regrown slowly.
  double restore_requests_per_second = 3500;
  double head_requests_per_second = 5500;
  int max_concurrency = 32;  // S3 calls in flight at once (worker threads)
  // `thaw restore`: RestoreObject calls in flight follow the endpoint below max_concurrency
  // (concurrency_limit.h): fewer while fewer answer as fast. false: always max_concurrency.
  // Mounts and event consumers always send at once (EngineOptions::adapt_concurrency).
  bool adaptive_concurrency = true;
  uint64_t daily_byte_budget = 0;
  double daily_cost_budget_usd = 0;
};

// What the policy decided for one object.
struct Decision {
  enum class Action {
    kRestore,          // send RestoreObject with tier/days
    kAlreadyRestored,  // a restored copy outlives the renew margin: nothing to send
    kInProgress,       // HEAD shows a restore running: nothing to send, just track it
    kSkip,             // readable, or denied: `reason`/`message` say why
  };
  Action action = Action::kSkip;
  std::string reason_code;  // "not_archived", "denied" (for kSkip)
  std::string message;      // human words for kSkip: "not archived: STANDARD"
  std::string note;         // adjustments made: "Expedited not available for DEEP_ARCHIVE..."
  std::optional<ArchiveKind> kind;
  std::optional<s3::RestoreTier> tier;
  std::optional<int> days;
  bool expedited_fallback = true;
  uint64_t size_bytes = 0;
  CostEstimate cost;
  std::optional<ExpectedDuration> duration;
  std::optional<Clock::TimePoint> restore_expiry;  // kAlreadyRestored
  int rule_index = -1;                             // the matching rule, -1: defaults
};

// Caller overrides (flags, SubmitOptions) that win over rules.
struct Overrides {
  std::optional<s3::RestoreTier> tier;
  std::optional<int> days;
};

class Policy {
 public:
  Policy() = default;  // defaults only: every archived object, Standard, 7 days
  Policy(std::vector<Rule> rules, PolicyDefaults defaults)
      : rules_(std::move(rules)), defaults_(defaults) {}

  const std::vector<Rule>& rules() const { return rules_; }
  const PolicyDefaults& defaults() const { return defaults_; }

  // Index of the first rule matching `info`, or -1.
  int MatchIndex(const s3::ObjectInfo& info) const;

  // Decides for an object as HEAD (or a listing) described it, at time `now`.
  Decision Decide(const s3::ObjectInfo& info, const Overrides& overrides, Clock::TimePoint now,
                  Clock::Duration renew_margin) const;

 private:
  std::vector<Rule> rules_;
  PolicyDefaults defaults_;
};

// Shell-style glob: `*` any run of characters except '/', `**` any run including '/', `?` one
// character except '/', `[abc]`/`[a-z]`/`[!a]` classes; everything else literal.
bool GlobMatch(std::string_view pattern, std::string_view text);

// "1GiB", "500 MB", "1024", "1.5TiB": B, KB/MB/GB/TB (1000^n), KiB/MiB/GiB/TiB (1024^n).
std::optional<uint64_t> ParseSize(std::string_view s);

// A parsed config file.
struct PolicyConfig {
  Policy policy;
  Limits limits;
  bool limits_set = false;  // the file had a [limits] table
};
// Parses TOML text; `source_name` is used in error messages ("file:line: reason").
Result<PolicyConfig> ParsePolicyConfig(std::string_view text, std::string_view source_name);
// Reads and parses a file (kNotFound if it does not exist, so callers may fall back to
// defaults for the default path).
Result<PolicyConfig> LoadPolicyConfig(const std::string& path);

}  // namespace thaw::restore
