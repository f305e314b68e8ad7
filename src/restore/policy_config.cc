// Loading the policy and limits from TOML (format in policy.h). Strict on purpose: an unknown
// key is most likely a typo that would silently restore more (or less) than meant, so it is an
// error, reported as `file:line: reason` like a compiler would.
//
// toml++ (Debian's shared build) reports parse errors by throwing toml::parse_error; the
// exception is caught right here and becomes a Status, so nothing is thrown across functions.
#include <toml++/toml.h>

#include <fstream>
#include <set>
#include <sstream>

#include "common/strings.h"
#include "restore/policy.h"

namespace thaw::restore {
namespace {

// Builds error messages that point at the offending line.
class Reader {
 public:
  explicit Reader(std::string_view source) : source_(source) {}

  Status Error(const toml::source_region& where, const std::string& reason) const {
    return Status::InvalidArgument(std::string(source_) + ":" + std::to_string(where.begin.line) +
                                   ": " + reason);
  }
  std::string Origin(const toml::source_region& where) const {
    return std::string(source_) + ":" + std::to_string(where.begin.line);
  }

  Status CheckKeys(const toml::table& t, std::string_view section,
                   const std::set<std::string_view>& allowed) const {
    for (auto&& [k, v] : t) {
      if (!allowed.count(k.str())) {
        return Error(k.source(),
                     "unknown key '" + std::string(k.str()) + "' in " + std::string(section));
      }
    }
    return Status::Ok();
  }

  Result<std::string> String(const toml::node& n, std::string_view key) const {
    if (auto s = n.value<std::string>(); s && n.is_string()) return *s;
    return Error(n.source(), std::string(key) + ": expected a string");
  }

  Result<s3::RestoreTier> Tier(const toml::node& n) const {
    THAW_ASSIGN_OR_RETURN(std::string s, String(n, "tier"));
    auto t = s3::ParseRestoreTier(s);
    if (!t) return Error(n.source(), "tier: '" + s + "' is not one of Expedited, Standard, Bulk");
    return *t;
  }

  Result<int> Days(const toml::node& n) const {
    if (!n.is_integer()) return Error(n.source(), "days: expected an integer");
    int64_t d = *n.value<int64_t>();
    if (d < 1) return Error(n.source(), "days: must be >= 1 (got " + std::to_string(d) + ")");
    if (d > 36500) return Error(n.source(), "days: too large (" + std::to_string(d) + ")");
    return static_cast<int>(d);
  }

  Result<bool> Bool(const toml::node& n, std::string_view key) const {
    if (!n.is_boolean()) return Error(n.source(), std::string(key) + ": expected true or false");
    return *n.value<bool>();
  }

  Result<double> NonNegative(const toml::node& n, std::string_view key) const {
    if (!n.is_number()) return Error(n.source(), std::string(key) + ": expected a number");
    double v = *n.value<double>();
    if (v < 0) return Error(n.source(), std::string(key) + ": must not be negative");
    return v;
  }

  // A size: an integer number of bytes or a string with a unit ("1GiB").
  Result<uint64_t> Size(const toml::node& n, std::string_view key) const {
    if (n.is_integer()) {
      int64_t v = *n.value<int64_t>();
      if (v < 0) return Error(n.source(), std::string(key) + ": must not be negative");
      return static_cast<uint64_t>(v);
    }
    if (n.is_string()) {
      std::string s = *n.value<std::string>();
      if (auto v = ParseSize(s)) return *v;
      return Error(n.source(), std::string(key) + ": '" + s + "' is not a size (e.g. \"1GiB\")");
    }
    return Error(n.source(), std::string(key) + ": expected a size such as \"1GiB\"");
  }

  Result<std::vector<std::string>> Classes(const toml::node& n) const {
    static const std::set<std::string_view> kKnown = {s3::kGlacier, s3::kDeepArchive,
                                                      s3::kIntelligentTiering, s3::kArchiveAccess,
                                                      s3::kDeepArchiveAccess};
    std::vector<std::string> out;
    auto add = [&](const toml::node& item) -> Status {
      THAW_ASSIGN_OR_RETURN(std::string c, String(item, "class"));
      if (!kKnown.count(c)) {
        return Error(item.source(),
                     "class: '" + c +
                         "' is not an archive class (GLACIER, DEEP_ARCHIVE, "
                         "INTELLIGENT_TIERING, ARCHIVE_ACCESS, DEEP_ARCHIVE_ACCESS)");
      }
      out.push_back(std::move(c));
      return Status::Ok();
    };
    if (const toml::array* a = n.as_array()) {
      for (const toml::node& item : *a) THAW_RETURN_IF_ERROR(add(item));
    } else {
      THAW_RETURN_IF_ERROR(add(n));
    }
    return out;
  }

 private:
  std::string_view source_;
};

Status ReadDefaults(const Reader& r, const toml::table& t, PolicyDefaults& d) {
  THAW_RETURN_IF_ERROR(r.CheckKeys(t, "[defaults]", {"tier", "days", "expedited_fallback"}));
  if (auto* n = t.get("tier")) {
    THAW_ASSIGN_OR_RETURN(d.tier, r.Tier(*n));
  }
  if (auto* n = t.get("days")) {
    THAW_ASSIGN_OR_RETURN(d.days, r.Days(*n));
  }
  if (auto* n = t.get("expedited_fallback")) {
    THAW_ASSIGN_OR_RETURN(d.expedited_fallback, r.Bool(*n, "expedited_fallback"));
  }
  return Status::Ok();
}

Status ReadLimits(const Reader& r, const toml::table& t, Limits& l) {
  THAW_RETURN_IF_ERROR(
      r.CheckKeys(t, "[limits]",
                  {"restore_requests_per_second", "head_requests_per_second", "concurrency",
                   "adaptive_concurrency", "daily_bytes", "daily_cost_usd"}));
  if (auto* n = t.get("restore_requests_per_second")) {
    THAW_ASSIGN_OR_RETURN(l.restore_requests_per_second,
                          r.NonNegative(*n, "restore_requests_per_second"));
  }
  if (auto* n = t.get("head_requests_per_second")) {
    THAW_ASSIGN_OR_RETURN(l.head_requests_per_second,
                          r.NonNegative(*n, "head_requests_per_second"));
  }
  if (auto* n = t.get("concurrency")) {
    if (!n->is_integer() || *n->value<int64_t>() < 1 || *n->value<int64_t>() > 4096) {
      return r.Error(n->source(), "concurrency: expected an integer from 1 to 4096");
    }
    l.max_concurrency = static_cast<int>(*n->value<int64_t>());
  }
  if (auto* n = t.get("adaptive_concurrency")) {
    THAW_ASSIGN_OR_RETURN(l.adaptive_concurrency, r.Bool(*n, "adaptive_concurrency"));
  }
  if (auto* n = t.get("daily_bytes")) {
    THAW_ASSIGN_OR_RETURN(l.daily_byte_budget, r.Size(*n, "daily_bytes"));
  }
  if (auto* n = t.get("daily_cost_usd")) {
    THAW_ASSIGN_OR_RETURN(l.daily_cost_budget_usd, r.NonNegative(*n, "daily_cost_usd"));
  }
  return Status::Ok();
}

Result<Rule> ReadRule(const Reader& r, const toml::table& t) {
  THAW_RETURN_IF_ERROR(r.CheckKeys(t, "[[rule]]",
                                   {"bucket", "prefix", "glob", "min_size", "max_size", "class",
                                    "tier", "days", "action", "expedited_fallback"}));
  Rule rule;
  rule.origin = r.Origin(t.source());
  if (auto* n = t.get("bucket")) {
    THAW_ASSIGN_OR_RETURN(rule.bucket, r.String(*n, "bucket"));
  }
  if (auto* n = t.get("prefix")) {
    THAW_ASSIGN_OR_RETURN(rule.prefix, r.String(*n, "prefix"));
  }
  if (auto* n = t.get("glob")) {
    THAW_ASSIGN_OR_RETURN(rule.glob, r.String(*n, "glob"));
  }
  if (auto* n = t.get("min_size")) {
    THAW_ASSIGN_OR_RETURN(rule.min_size, r.Size(*n, "min_size"));
  }
  if (auto* n = t.get("max_size")) {
    THAW_ASSIGN_OR_RETURN(rule.max_size, r.Size(*n, "max_size"));
  }
  if (rule.min_size && rule.max_size && *rule.min_size > *rule.max_size) {
    return r.Error(t.get("max_size")->source(), "max_size is smaller than min_size");
  }
  if (auto* n = t.get("class")) {
    THAW_ASSIGN_OR_RETURN(rule.classes, r.Classes(*n));
  }
  if (auto* n = t.get("tier")) {
    THAW_ASSIGN_OR_RETURN(rule.tier, r.Tier(*n));
  }
  if (auto* n = t.get("days")) {
    THAW_ASSIGN_OR_RETURN(rule.days, r.Days(*n));
  }
  if (auto* n = t.get("expedited_fallback")) {
    THAW_ASSIGN_OR_RETURN(rule.expedited_fallback, r.Bool(*n, "expedited_fallback"));
  }
  if (auto* n = t.get("action")) {
    THAW_ASSIGN_OR_RETURN(std::string a, r.String(*n, "action"));
    if (a == "allow") {
      rule.action = Rule::Action::kAllow;
    } else if (a == "deny") {
      rule.action = Rule::Action::kDeny;
    } else {
      return r.Error(n->source(), "action: '" + a + "' is not allow or deny");
    }
  }
  return rule;
}

Result<toml::table> ParseToml(std::string_view text, std::string_view source_name) {
  try {
    return toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    return Status::InvalidArgument(std::string(source_name) + ":" +
                                   std::to_string(e.source().begin.line) + ": " +
                                   std::string(e.description()));
  }
}

}  // namespace

Result<PolicyConfig> ParsePolicyConfig(std::string_view text, std::string_view source_name) {
  THAW_ASSIGN_OR_RETURN(toml::table root, ParseToml(text, source_name));
  Reader r(source_name);
  THAW_RETURN_IF_ERROR(r.CheckKeys(root, "the top level", {"defaults", "limits", "rule"}));
  PolicyConfig config;
  PolicyDefaults defaults;
  std::vector<Rule> rules;
  if (const toml::node* n = root.get("defaults")) {
    if (!n->is_table()) return r.Error(n->source(), "defaults: expected a table [defaults]");
    THAW_RETURN_IF_ERROR(ReadDefaults(r, *n->as_table(), defaults));
  }
  if (const toml::node* n = root.get("limits")) {
    if (!n->is_table()) return r.Error(n->source(), "limits: expected a table [limits]");
    THAW_RETURN_IF_ERROR(ReadLimits(r, *n->as_table(), config.limits));
    config.limits_set = true;
  }
  if (const toml::node* n = root.get("rule")) {
    const toml::array* a = n->as_array();
    if (!a || !a->is_array_of_tables()) {
      return r.Error(n->source(), "rule: expected an array of tables [[rule]]");
    }
    for (const toml::node& item : *a) {
      THAW_ASSIGN_OR_RETURN(Rule rule, ReadRule(r, *item.as_table()));
      rules.push_back(std::move(rule));
    }
  }
  config.policy = Policy(std::move(rules), defaults);
  return config;
}

Result<PolicyConfig> LoadPolicyConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(path + ": cannot open policy file");
  std::stringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return Status::Unavailable(path + ": read error");
  return ParsePolicyConfig(buf.str(), path);
}

}  // namespace thaw::restore
