// Streaming a listing: ObjectLister pages through ListObjectsV2 one page at a time (so a
// prefix of millions of keys never sits in memory at once) and says, per entry, whether the
// listing alone tells an object's archive and restore state or a HEAD is needed.
//
// Why a HEAD may be needed: listings never show Intelligent-Tiering's archive tier
// (x-amz-archive-status), and RestoreStatus comes only from endpoints that honour
// x-amz-optional-object-attributes (AWS does; moto does not). An endpoint that honours it
// omits the element for objects without a restore, so once any entry carried it, an archived
// entry without it is known to have none. A prefix where nothing was ever restored carries it
// nowhere: at the first archived entry without it, the lister asks the endpoint once
// (ListingsCarryRestoreStatus) instead of leaving a HEAD per object to its caller.
//
// Used by `thaw ls` (prints) and `thaw restore --recursive` (feeds the engine known_info).
//
// Thread safety: an ObjectLister is used by one thread; the client may be shared.
#pragma once

#include <string>

#include "common/status.h"
#include "s3/client.h"
#include "s3/types.h"

namespace thaw::s3 {

class ObjectLister {
 public:
  // `probe`: ask the endpoint once whether it honours RestoreStatus when a page leaves an
  // archived entry's restore state open (ListingsCarryRestoreStatus); a caller that treats such
  // an entry as not restored anyway passes false and saves the round trip.
  ObjectLister(S3Client& client, ListObjectsRequest request, bool probe = true)
      : client_(client), request_(std::move(request)), probed_(!probe) {}

  // Fetches the next page into *page. Returns false (with an OK status) when the listing is
  // exhausted; an error status on failure (including a truncated page without a token).
  Result<bool> Next(ListObjectsPage* page);

  // True once the endpoint is known to honour RestoreStatus (an entry carried it, or the
  // probe said so): an archived entry without it has no restore.
  bool restore_status_seen() const { return restore_status_seen_; }

  // Whether `o` (from this lister's pages so far) says all there is to know about its archive
  // and restore state: readable classes always; GLACIER/DEEP_ARCHIVE when it carries
  // RestoreStatus or the endpoint is known to send it; Intelligent-Tiering never.
  bool Complete(const ObjectSummary& o) const;

 private:
  S3Client& client_;
  ListObjectsRequest request_;
  bool done_ = false;
  bool restore_status_seen_ = false;
  bool probed_ = false;
};

// Whether listings of `bucket` carry RestoreStatus, asked with one request: a ListObjectsV2
// naming an attribute S3 does not know. S3 checks the names and refuses it (400 InvalidArgument,
// "Invalid attribute name specified"), so an endpoint that answers so reads the header and
// honours RestoreStatus; one that lists as usual (moto) ignores the header. Other errors are
// returned as they are (the caller then cannot tell and HEADs).
Result<bool> ListingsCarryRestoreStatus(S3Client& client, const std::string& bucket);

// The ObjectInfo a listing entry describes (no archive status, no user metadata).
ObjectInfo ObjectInfoFromSummary(const std::string& bucket, const ObjectSummary& o);

}  // namespace thaw::s3
