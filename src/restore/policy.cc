// Policy matching and decisions: which rule applies to an object, then the storage-class facts
// (facts doc) applied on top of what the rule asked for. The TOML loader is policy_config.cc.
#include "restore/policy.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

#include "common/strings.h"

namespace thaw::restore {
namespace {

using s3::RestoreTier;

// Does the rule's class list name this object? INTELLIGENT_TIERING names both of its archive
// tiers; ARCHIVE_ACCESS / DEEP_ARCHIVE_ACCESS name one.
bool ClassMatches(const std::vector<std::string>& classes, const s3::ObjectInfo& info) {
  if (classes.empty()) return true;
  for (const std::string& c : classes) {
    if (c == info.storage_class) return true;
    if (info.storage_class == s3::kIntelligentTiering && !info.archive_status.empty() &&
        c == info.archive_status) {
      return true;
    }
  }
  return false;
}

bool MatchClassSet(std::string_view& p, char c) {
  // p starts after '['. Consumes through ']'.
  bool negate = !p.empty() && (p.front() == '!' || p.front() == '^');
  if (negate) p.remove_prefix(1);
  bool matched = false;
  bool first = true;
  while (!p.empty() && (first || p.front() != ']')) {
    first = false;
    char lo = p.front();
    p.remove_prefix(1);
    char hi = lo;
    if (p.size() >= 2 && p.front() == '-' && p[1] != ']') {
      hi = p[1];
      p.remove_prefix(2);
    }
    if (c >= lo && c <= hi) matched = true;
  }
  if (!p.empty()) p.remove_prefix(1);  // ']'
  return matched != negate;
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view text) {
  // Recursive backtracking is fine: patterns are short and written by operators.
  while (!pattern.empty()) {
    char p = pattern.front();
    if (p == '*') {
      bool any = pattern.size() >= 2 && pattern[1] == '*';
      pattern.remove_prefix(any ? 2 : 1);
      for (size_t i = 0; i <= text.size(); ++i) {
        if (GlobMatch(pattern, text.substr(i))) return true;
        if (i < text.size() && !any && text[i] == '/') return false;
      }
      return false;
    }
    if (text.empty()) return false;
    if (p == '?') {
      if (text.front() == '/') return false;
      pattern.remove_prefix(1);
    } else if (p == '[' && pattern.find(']', 2) != std::string_view::npos) {
      pattern.remove_prefix(1);
      if (!MatchClassSet(pattern, text.front())) return false;
    } else {
      if (p != text.front()) return false;
      pattern.remove_prefix(1);
    }
    text.remove_prefix(1);
  }
  return text.empty();
}

std::optional<uint64_t> ParseSize(std::string_view s) {
  s = Trim(s);
  size_t n = 0;
  while (n < s.size() && (std::isdigit(static_cast<unsigned char>(s[n])) || s[n] == '.')) ++n;
  if (n == 0) return std::nullopt;
  std::string number(s.substr(0, n));
  std::string unit = ToLower(Trim(s.substr(n)));
  char* end = nullptr;
  double value = std::strtod(number.c_str(), &end);
  if (end != number.c_str() + number.size() || value < 0) return std::nullopt;
  static const std::pair<const char*, double> kUnits[] = {{"", 1},
                                                          {"b", 1},
                                                          {"kb", 1e3},
                                                          {"mb", 1e6},
                                                          {"gb", 1e9},
                                                          {"tb", 1e12},
                                                          {"pb", 1e15},
                                                          {"kib", 1024.0},
                                                          {"mib", 1048576.0},
                                                          {"gib", 1073741824.0},
                                                          {"tib", 1099511627776.0},
                                                          {"pib", 1125899906842624.0}};
  for (const auto& [name, factor] : kUnits) {
    if (unit == name) {
      double bytes = std::round(value * factor);
      if (bytes > 1.8e19) return std::nullopt;
      return static_cast<uint64_t>(bytes);
    }
  }
  return std::nullopt;
}

bool Rule::Matches(const s3::ObjectInfo& info) const {
  if (!bucket.empty() && bucket != info.bucket) return false;
  if (!prefix.empty() && !StartsWith(info.key, prefix)) return false;
  if (!glob.empty()) {
    std::string_view target = info.key;
    if (glob.find('/') == std::string::npos) {
      size_t slash = target.rfind('/');
      if (slash != std::string_view::npos) target.remove_prefix(slash + 1);
    }
    if (!GlobMatch(glob, target)) return false;
  }
  if (min_size && info.size < *min_size) return false;
  if (max_size && info.size > *max_size) return false;
  return ClassMatches(classes, info);
}

int Policy::MatchIndex(const s3::ObjectInfo& info) const {
  for (size_t i = 0; i < rules_.size(); ++i) {
    if (rules_[i].Matches(info)) return static_cast<int>(i);
  }
  return -1;
}

Decision Policy::Decide(const s3::ObjectInfo& info, const Overrides& overrides,
                        Clock::TimePoint now, Clock::Duration renew_margin) const {
  Decision d;
  d.size_bytes = info.size;
  d.kind = ArchiveKindOf(info.storage_class, info.archive_status);
  if (!d.kind) {
    // Readable classes (and Intelligent-Tiering outside its archive tiers): RestoreObject
    // would answer 403 InvalidObjectState; nothing to do.
    d.action = Decision::Action::kSkip;
    d.reason_code = "not_archived";
    d.message = "not archived: " + info.storage_class;
    if (!info.archive_status.empty()) d.message += " (" + info.archive_status + ")";
    return d;
  }

  d.rule_index = MatchIndex(info);
  const Rule* rule = d.rule_index >= 0 ? &rules_[d.rule_index] : nullptr;
  if (rule && rule->action == Rule::Action::kDeny) {
    d.action = Decision::Action::kSkip;
    d.reason_code = "denied";
    d.message = "denied by policy rule " + std::to_string(d.rule_index + 1);
    if (!rule->origin.empty()) d.message += " (" + rule->origin + ")";
    return d;
  }

  RestoreTier tier = overrides.tier.value_or(rule && rule->tier ? *rule->tier : defaults_.tier);
  std::optional<int> days =
      overrides.days ? overrides.days : (rule && rule->days ? rule->days : defaults_.days);
  d.expedited_fallback =
      rule && rule->expedited_fallback ? *rule->expedited_fallback : defaults_.expedited_fallback;

  if (tier == RestoreTier::kExpedited && !SupportsExpedited(*d.kind)) {
    tier = RestoreTier::kStandard;
    d.note =
        "Expedited not available for " + std::string(ArchiveKindName(*d.kind)) + ": using Standard";
  }
  if (IsIntelligentTiering(*d.kind)) {
    days.reset();  // S3 answers 400 InvalidArgument to Days on Intelligent-Tiering
  } else if (!days || *days < 1) {
    days = 1;  // S3 requires Days >= 1; the loader rejects smaller values, flags may not
  }
  d.tier = tier;
  d.days = days;

  // A restore running or done needs no request; a restored copy about to expire does (the new
  // request re-computes its expiry). The margin shrinks with short restores: with Days=1 a
  // fixed 24 h margin would cover the copy's whole life and every run would ask again.
  Clock::Duration margin = renew_margin;
  if (days) margin = std::min<Clock::Duration>(margin, std::chrono::hours(24) * *days / 4);
  if (info.restore.state == s3::RestoreStatus::State::kOngoing) {
    d.action = Decision::Action::kInProgress;
  } else if (info.restore.state == s3::RestoreStatus::State::kRestored &&
             (!info.restore.expiry || *info.restore.expiry > now + margin)) {
    d.action = Decision::Action::kAlreadyRestored;
    d.restore_expiry = info.restore.expiry;
  } else {
    d.action = Decision::Action::kRestore;
  }
  d.cost = EstimateCost(*d.kind, tier, info.size, days);
  d.duration = ExpectedRestoreDuration(*d.kind, tier);
  return d;
}

}  // namespace thaw::restore
