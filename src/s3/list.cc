// ObjectLister (see list.h).
#include "s3/list.h"

#include "s3/error.h"

namespace thaw::s3 {

Result<bool> ObjectLister::Next(ListObjectsPage* page) {
  if (done_) return false;
  THAW_ASSIGN_OR_RETURN(*page, client_.ListObjectsV2(request_));
  bool unknown = false;  // an archived entry whose restore state the page leaves open
  for (const auto& o : page->objects) {
    restore_status_seen_ |= o.restore.has_value();
    unknown |= IsArchived(o.storage_class) && o.storage_class != kIntelligentTiering &&
               !o.restore.has_value();
  }
  if (unknown && !restore_status_seen_ && !probed_ &&
      request_.optional_attributes == "RestoreStatus") {
    probed_ = true;
    // An error leaves the question open: the caller HEADs as it would without the probe.
    Result<bool> carried = ListingsCarryRestoreStatus(client_, request_.bucket);
    restore_status_seen_ = carried.ok() && *carried;
  }
  request_.continuation_token = page->next_continuation_token;
  if (page->is_truncated && request_.continuation_token.empty()) {
    done_ = true;
    return Status::DataLoss("listing truncated without a continuation token");
  }
  if (request_.continuation_token.empty()) done_ = true;
  return true;
}

bool ObjectLister::Complete(const ObjectSummary& o) const {
  if (o.storage_class == kIntelligentTiering) return false;
  if (!IsArchived(o.storage_class)) return true;
  return o.restore.has_value() || restore_status_seen_;
}

Result<bool> ListingsCarryRestoreStatus(S3Client& client, const std::string& bucket) {
  ListObjectsRequest probe;
  probe.bucket = bucket;
  probe.max_keys = 1;
  probe.optional_attributes = "ThawCapabilityProbe";
  Result<ListObjectsPage> page = client.ListObjectsV2(probe);
  if (page.ok()) return false;
  const S3ErrorDetail* e = GetS3Error(page.status());
  if (e && e->http_status == 400 && e->code == "InvalidArgument") return true;
  return page.status();
}

ObjectInfo ObjectInfoFromSummary(const std::string& bucket, const ObjectSummary& o) {
  ObjectInfo info;
  info.bucket = bucket;
  info.key = o.key;
  info.size = o.size;
  info.etag = o.etag;
  info.last_modified = o.last_modified;
  info.storage_class = o.storage_class;
  if (o.restore) info.restore = *o.restore;
  return info;
}

}  // namespace thaw::s3
