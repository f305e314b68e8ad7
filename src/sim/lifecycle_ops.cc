// Bucket lifecycle: Put/Get/DeleteBucketLifecycle(Configuration), the per-bucket rule cache and
// the background sweep that applies transitions and restore completions/expiries on the scaled
// clock (lifecycle.h holds the rules themselves).
#include <spdlog/spdlog.h>

#include "sim/s3_error.h"
#include "sim/service.h"

namespace thaw::sim {

Status Service::LoadLifecycles() {
  THAW_ASSIGN_OR_RETURN(auto all, store_.ListLifecycles());
  std::lock_guard<std::mutex> lock(lifecycle_mu_);
  for (const auto& [bucket, xml] : all) {
    auto rules = ParseLifecycle(xml);
    if (!rules.ok()) {
      spdlog::warn("ignoring the stored lifecycle of {}: {}", bucket, rules.status().ToString());
      continue;
    }
    lifecycles_[bucket] = std::make_shared<const std::vector<LifecycleRule>>(std::move(*rules));
  }
  any_lifecycle_ = !lifecycles_.empty();
  return Status::Ok();
}

Result<Response> Service::PutBucketLifecycle(Call& call) {
  THAW_RETURN_IF_ERROR(CheckBucket(call.route.bucket));
  THAW_ASSIGN_OR_RETURN(auto rules, ParseLifecycle(call.req.body));
  THAW_RETURN_IF_ERROR(store_.PutLifecycle(call.route.bucket, call.req.body));
  {
    std::lock_guard<std::mutex> lock(lifecycle_mu_);
    lifecycles_[call.route.bucket] =
        std::make_shared<const std::vector<LifecycleRule>>(std::move(rules));
    any_lifecycle_ = true;
  }
  Response r;
  return r;
}

Result<Response> Service::GetBucketLifecycle(Call& call) {
  THAW_RETURN_IF_ERROR(CheckBucket(call.route.bucket));
  auto xml = store_.GetLifecycle(call.route.bucket);
  if (xml.status().IsNotFound()) {
    return S3Err("NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist",
                 {{"BucketName", call.route.bucket}});
  }
  if (!xml.ok()) return xml.status();
  Response r;
  r.headers.Set("Content-Type", "application/xml");
  r.body = std::move(*xml);
  return r;
}

Result<Response> Service::DeleteBucketLifecycle(Call& call) {
  THAW_RETURN_IF_ERROR(CheckBucket(call.route.bucket));
  THAW_RETURN_IF_ERROR(store_.DeleteLifecycle(call.route.bucket));
  {
    std::lock_guard<std::mutex> lock(lifecycle_mu_);
    lifecycles_.erase(call.route.bucket);
    any_lifecycle_ = !lifecycles_.empty();
  }
  Response r;
  r.status = 204;
  return r;
}

bool Service::ApplyLifecycle(ObjectRecord& rec) {
  if (!any_lifecycle_) return false;
  std::shared_ptr<const std::vector<LifecycleRule>> rules;
  {
    std::lock_guard<std::mutex> lock(lifecycle_mu_);
    auto it = lifecycles_.find(rec.bucket);
    if (it == lifecycles_.end()) return false;
    rules = it->second;
  }
  std::map<std::string, std::string> tags;
  if (auto it = rec.headers.find("x-amz-tagging"); it != rec.headers.end()) {
    auto parsed = ParseTagging(it->second);
    if (parsed.ok()) tags = std::move(*parsed);
  }
  auto target = DueTransition(*rules, rec.key, tags, rec.last_modified, rec.archive, clock_.Now());
  if (!target) return false;
  spdlog::debug("lifecycle: {}/{} {} -> {}", rec.bucket, rec.key, rec.archive.storage_class,
                *target);
  ApplyTransition(rec.archive, *target);
  return true;
}

Status Service::ApplyNoncurrentLifecycle(const std::string& bucket) {
  std::shared_ptr<const std::vector<LifecycleRule>> rules;
  {
    std::lock_guard<std::mutex> lock(lifecycle_mu_);
    auto it = lifecycles_.find(bucket);
    if (it == lifecycles_.end()) return Status::Ok();
    rules = it->second;
  }
  bool any = false;
  for (const LifecycleRule& rule : *rules) {
    any = any || !rule.noncurrent_transitions.empty() || rule.noncurrent_expiration_days;
  }
  if (!any) return Status::Ok();
  THAW_ASSIGN_OR_RETURN(auto versions, store_.ListNoncurrentVersions(bucket));
  Clock::TimePoint now = clock_.Now();
  for (ObjectRecord& rec : versions) {
    std::map<std::string, std::string> tags;
    if (auto it = rec.headers.find("x-amz-tagging"); it != rec.headers.end()) {
      auto parsed = ParseTagging(it->second);
      if (parsed.ok()) tags = std::move(*parsed);
    }
    if (NoncurrentExpired(*rules, rec.key, tags, rec.noncurrent_since, now)) {
      std::string id = VersionIdOrNull(rec.version_id);
      spdlog::debug("lifecycle: {}/{} version {} expired", bucket, rec.key, id);
      THAW_RETURN_IF_ERROR(store_.DeleteObject(bucket, rec.key, &id, nullptr, now));
      continue;
    }
    auto target =
        DueTransition(*rules, rec.key, tags, rec.noncurrent_since, rec.archive, now, true);
    if (!target) continue;
    spdlog::debug("lifecycle: {}/{} version {} {} -> {}", bucket, rec.key, rec.version_id,
                  rec.archive.storage_class, *target);
    ApplyTransition(rec.archive, *target);
    THAW_RETURN_IF_ERROR(store_.UpdateObject(rec));
  }
  return Status::Ok();
}

Status Service::Sweep() {
  std::vector<std::string> buckets;
  if (any_lifecycle_) {
    std::lock_guard<std::mutex> lock(lifecycle_mu_);
    for (const auto& [bucket, rules] : lifecycles_) buckets.push_back(bucket);
  }
  for (const std::string& bucket : buckets) {
    std::string after;
    for (;;) {
      THAW_ASSIGN_OR_RETURN(auto page, store_.ListObjects(bucket, "", after, 1000));
      for (ObjectRecord& rec : page) {
        if (Advance(rec)) THAW_RETURN_IF_ERROR(store_.UpdateObject(rec));
      }
      if (page.size() < 1000) break;
      after = page.back().key;
    }
    THAW_RETURN_IF_ERROR(ApplyNoncurrentLifecycle(bucket));
  }
  THAW_RETURN_IF_ERROR(RunInventories());
  THAW_ASSIGN_OR_RETURN(auto restoring, store_.ListRestoring());
  for (const auto& [bucket, key] : restoring) {
    auto rec = LoadObject(bucket, key);  // advances and persists
    if (!rec.ok() && !rec.status().detail_as<S3Error>()) return rec.status();
  }
  // Noncurrent versions restore and expire on the same clock.
  THAW_ASSIGN_OR_RETURN(auto versions, store_.ListRestoringVersions());
  for (ObjectRecord& rec : versions) {
    if (Advance(rec)) THAW_RETURN_IF_ERROR(store_.UpdateObject(rec));
  }
  return Status::Ok();
}

}  // namespace thaw::sim
