// Lifecycle configurations: parsing (pugixml) and the transition decision.
#include "sim/lifecycle.h"

#include <pugixml.hpp>

#include "common/strings.h"
#include "s3/types.h"
#include "sim/s3_error.h"
#include "sim/service.h"
#include "sim/xml_reader.h"

namespace thaw::sim {
namespace {

// Position in S3's transition waterfall; -1 for classes lifecycle cannot move objects to.
int Rank(std::string_view c) {
  static const char* kOrder[] = {"STANDARD",   "STANDARD_IA", "INTELLIGENT_TIERING", "ONEZONE_IA",
                                 "GLACIER_IR", "GLACIER",     "DEEP_ARCHIVE"};
  for (int i = 0; i < 7; ++i) {
    if (c == kOrder[i]) return i;
  }
  if (c == "REDUCED_REDUNDANCY") return 0;
  return -1;
}

Result<std::pair<std::string, std::string>> ParseTag(pugi::xml_node tag) {
  std::string k = tag.child_value("Key");
  if (k.empty()) return S3Err("MalformedXML", "a Tag needs a Key");
  return std::make_pair(k, std::string(tag.child_value("Value")));
}

Status ParseFilter(pugi::xml_node filter, LifecycleRule& rule) {
  if (pugi::xml_node p = filter.child("Prefix")) rule.prefix = p.child_value();
  if (pugi::xml_node t = filter.child("Tag")) {
    THAW_ASSIGN_OR_RETURN(auto kv, ParseTag(t));
    rule.tags.insert(kv);
  }
  if (pugi::xml_node a = filter.child("And")) {
    if (pugi::xml_node p = a.child("Prefix")) rule.prefix = p.child_value();
    for (pugi::xml_node t : a.children("Tag")) {
      THAW_ASSIGN_OR_RETURN(auto kv, ParseTag(t));
      rule.tags.insert(kv);
    }
  }
  return Status::Ok();
}

// A Transition or NoncurrentVersionTransition: StorageClass and its days element.
Result<LifecycleTransition> ParseTransition(pugi::xml_node t, const char* days_element) {
  LifecycleTransition tr;
  tr.storage_class = std::string(Trim(t.child_value("StorageClass")));
  THAW_RETURN_IF_ERROR(ValidateStorageClass(tr.storage_class));
  if (Rank(tr.storage_class) <= 0) {
    return S3Err("InvalidArgument", "lifecycle cannot transition objects to " + tr.storage_class);
  }
  auto days = ParseInt64(Trim(t.child_value(days_element)));
  if (!days || *days < 0 || *days > 100000) {
    return S3Err("InvalidArgument", std::string(days_element) + " must be a non-negative integer");
  }
  tr.days = static_cast<int>(*days);
  return tr;
}

}  // namespace

Result<std::vector<LifecycleRule>> ParseLifecycle(const std::string& xml) {
  pugi::xml_document doc;
  THAW_ASSIGN_OR_RETURN(pugi::xml_node root, LoadXmlBody(doc, xml, "LifecycleConfiguration"));
  std::vector<LifecycleRule> rules;
  for (pugi::xml_node r : root.children("Rule")) {
    LifecycleRule rule;
    rule.id = r.child_value("ID");
    std::string status = std::string(Trim(r.child_value("Status")));
    if (status != "Enabled" && status != "Disabled") {
      return S3Err("MalformedXML", "Rule Status must be Enabled or Disabled");
    }
    rule.enabled = status == "Enabled";
    if (pugi::xml_node p = r.child("Prefix")) rule.prefix = p.child_value();  // legacy form
    if (pugi::xml_node f = r.child("Filter")) THAW_RETURN_IF_ERROR(ParseFilter(f, rule));
    // Honest rather than silently ignored: a rule the sim would not apply is refused.
    for (const char* action : {"NoncurrentVersionTransition", "NoncurrentVersionExpiration"}) {
      for (pugi::xml_node a : r.children(action)) {
        if (a.child("NewerNoncurrentVersions")) {
          return S3Err("NotImplemented", std::string(action) +
                                             " with NewerNoncurrentVersions is not implemented by "
                                             "thaw sim");
        }
      }
    }
    for (pugi::xml_node t : r.children("NoncurrentVersionTransition")) {
      THAW_ASSIGN_OR_RETURN(LifecycleTransition tr, ParseTransition(t, "NoncurrentDays"));
      rule.noncurrent_transitions.push_back(tr);
    }
    if (pugi::xml_node e = r.child("NoncurrentVersionExpiration")) {
      auto days = ParseInt64(Trim(e.child_value("NoncurrentDays")));
      if (!days || *days < 1 || *days > 100000) {
        return S3Err("InvalidArgument",
                     "NoncurrentDays for the NoncurrentVersionExpiration "
                     "action must be a positive integer");
      }
      rule.noncurrent_expiration_days = static_cast<int>(*days);
    }
    for (pugi::xml_node t : r.children("Transition")) {
      if (t.child("Date")) {
        return S3Err("NotImplemented", "Transition Date is not supported by thaw sim; use Days");
      }
      THAW_ASSIGN_OR_RETURN(LifecycleTransition tr, ParseTransition(t, "Days"));
      rule.transitions.push_back(tr);
    }
    rules.push_back(std::move(rule));
  }
  if (rules.empty()) return S3Err("MalformedXML", "a LifecycleConfiguration needs a Rule");
  if (rules.size() > 1000) return S3Err("InvalidRequest", "at most 1000 rules");
  return rules;
}

Result<std::map<std::string, std::string>> ParseTagging(const std::string& form) {
  std::map<std::string, std::string> tags;
  for (const std::string& piece : Split(form, '&')) {
    if (piece.empty()) continue;
    size_t eq = piece.find('=');
    auto k = UriDecode(piece.substr(0, eq), true);
    auto v = UriDecode(eq == std::string::npos ? "" : piece.substr(eq + 1), true);
    if (!k || !v || k->empty()) return S3Err("InvalidArgument", "malformed x-amz-tagging");
    tags[*k] = *v;
  }
  return tags;
}

namespace {

bool RuleApplies(const LifecycleRule& rule, const std::string& key,
                 const std::map<std::string, std::string>& tags) {
  if (!rule.enabled || !StartsWith(key, rule.prefix)) return false;
  for (const auto& [k, v] : rule.tags) {
    auto it = tags.find(k);
    if (it == tags.end() || it->second != v) return false;
  }
  return true;
}

}  // namespace

bool NoncurrentExpired(const std::vector<LifecycleRule>& rules, const std::string& key,
                       const std::map<std::string, std::string>& tags, Clock::TimePoint since,
                       Clock::TimePoint now) {
  for (const LifecycleRule& rule : rules) {
    if (!rule.noncurrent_expiration_days || !RuleApplies(rule, key, tags)) continue;
    if (ExpiryFor(since, *rule.noncurrent_expiration_days) <= now) return true;
  }
  return false;
}

std::optional<std::string> DueTransition(const std::vector<LifecycleRule>& rules,
                                         const std::string& key,
                                         const std::map<std::string, std::string>& tags,
                                         Clock::TimePoint created, const ArchiveState& state,
                                         Clock::TimePoint now, bool noncurrent) {
  int current = Rank(state.storage_class);
  if (current < 0) return std::nullopt;
  std::optional<std::string> best;
  int best_rank = current;
  for (const LifecycleRule& rule : rules) {
    if (!RuleApplies(rule, key, tags)) continue;
    for (const LifecycleTransition& t :
         noncurrent ? rule.noncurrent_transitions : rule.transitions) {
      int rank = Rank(t.storage_class);
      if (rank <= best_rank) continue;
      // Days 0: the next midnight after creation, as S3 does.
      if (ExpiryFor(created, t.days) > now) continue;
      best = t.storage_class;
      best_rank = rank;
    }
  }
  return best;
}

void ApplyTransition(ArchiveState& state, const std::string& storage_class) {
  state = ArchiveState{};
  state.storage_class = storage_class;
}

}  // namespace thaw::sim
