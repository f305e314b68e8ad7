// ObjectLister (see list.h).
#include "s3/list.h"

namespace thaw::s3 {

Result<bool> ObjectLister::Next(ListObjectsPage* page) {
  if (done_) return false;
  THAW_ASSIGN_OR_RETURN(*page, client_.ListObjectsV2(request_));
  for (const auto& o : page->objects) restore_status_seen_ |= o.restore.has_value();
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
