// Bucket lifecycle configurations, as far as the sim applies them: Transition rules (Days and a
// StorageClass), NoncurrentVersionTransition (NoncurrentDays and a StorageClass) and
// NoncurrentVersionExpiration (NoncurrentDays) with a Filter by Prefix, Tag or And{Prefix,
// Tag...}. Expiration and other actions are accepted and stored (so the configuration
// round-trips) but not applied; NewerNoncurrentVersions is refused (501).
//
// S3 semantics kept here: a transition is due at the object's creation + Days rounded up to the
// next 00:00 UTC; objects only move down S3's class waterfall (STANDARD -> STANDARD_IA ->
// INTELLIGENT_TIERING -> ONEZONE_IA -> GLACIER_IR -> GLACIER -> DEEP_ARCHIVE), never back up;
// when several rules are due the coldest class wins.
//
// Pure: parsing and decisions take values; the Service persists configurations (Store) and
// applies them lazily on reads and from a background sweep on the scaled clock.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "sim/archive.h"

namespace thaw::sim {

struct LifecycleTransition {
  int days = 0;
  std::string storage_class;
};

struct LifecycleRule {
  std::string id;
  bool enabled = true;
  std::string prefix;
  std::map<std::string, std::string> tags;  // all must match
  std::vector<LifecycleTransition> transitions;
  // Noncurrent versions: `days` counts from when a version became noncurrent (NoncurrentDays).
  std::vector<LifecycleTransition> noncurrent_transitions;
  std::optional<int> noncurrent_expiration_days;
};

// Parses a LifecycleConfiguration document. Errors are S3 errors (MalformedXML, InvalidArgument,
// InvalidStorageClass).
Result<std::vector<LifecycleRule>> ParseLifecycle(const std::string& xml);

// Object tags from the x-amz-tagging form ("k1=v1&k2=v2", URL-encoded).
Result<std::map<std::string, std::string>> ParseTagging(const std::string& form);

// The class `state` must move to at `now` under `rules`, for an object created at `created`
// with `key` and `tags`; nullopt when nothing is due.
// With `noncurrent`, the NoncurrentVersionTransitions of the rules for a version that became
// noncurrent at `created`.
std::optional<std::string> DueTransition(const std::vector<LifecycleRule>& rules,
                                         const std::string& key,
                                         const std::map<std::string, std::string>& tags,
                                         Clock::TimePoint created, const ArchiveState& state,
                                         Clock::TimePoint now, bool noncurrent = false);

// Whether a NoncurrentVersionExpiration of `rules` removes a version of `key` that became
// noncurrent at `since` by `now`.
bool NoncurrentExpired(const std::vector<LifecycleRule>& rules, const std::string& key,
                       const std::map<std::string, std::string>& tags, Clock::TimePoint since,
                       Clock::TimePoint now);

// Moves `state` to `storage_class` as a lifecycle transition does (a restored copy or running
// restore of the old class is dropped; Intelligent-Tiering starts in its frequent tier).
void ApplyTransition(ArchiveState& state, const std::string& storage_class);

}  // namespace thaw::sim
