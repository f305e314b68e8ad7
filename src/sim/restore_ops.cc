// RestoreObject (POST /key?restore): parses the RestoreRequest body and applies it to the
// object's archive state (archive.h holds the rules), persisting the new state.
#include <pugixml.hpp>

#include "common/strings.h"
#include "sim/archive.h"
#include "sim/s3_error.h"
#include "sim/service.h"
#include "sim/xml_reader.h"

namespace thaw::sim {
namespace {

Result<RestoreParams> ParseRestoreRequest(const std::string& body) {
  RestoreParams p;
  if (Trim(body).empty()) return p;
  pugi::xml_document doc;
  THAW_ASSIGN_OR_RETURN(pugi::xml_node root, LoadXmlBody(doc, body, "RestoreRequest"));
  if (pugi::xml_node days = root.child("Days")) {
    auto n = ParseInt64(Trim(days.child_value()));
    if (!n) return S3Err("MalformedXML", "Days must be an integer");
    p.days = static_cast<int>(*n);
  }
  pugi::xml_node job = root.child("GlacierJobParameters");
  if (root.child("Tier") && job) {
    return S3Err("MalformedXML",
                 "Tier must not be given both at the top level and in GlacierJobParameters");
  }
  if (root.child("Type") || root.child("OutputLocation")) {
    return S3Err("NotImplemented", "SELECT restores are not supported by thaw sim");
  }
  pugi::xml_node tier = job ? job.child("Tier") : root.child("Tier");
  if (tier) {
    auto t = s3::ParseRestoreTier(Trim(tier.child_value()));
    if (!t) return S3Err("MalformedXML", "Tier must be Expedited, Standard or Bulk");
    p.tier = *t;
  }
  return p;
}

}  // namespace

Result<Response> Service::RestoreObject(Call& call) {
  THAW_ASSIGN_OR_RETURN(RestoreParams params, ParseRestoreRequest(call.req.body));
  THAW_ASSIGN_OR_RETURN(RestoreAnswer answer,
                        ApplyRestore(call.route.bucket, call.route.key, params, call.request_id,
                                     call.req.Query("versionId")));
  Response r;
  r.status = answer == RestoreAnswer::kAccepted ? 202 : 200;
  if (const std::string& v = call.req.Query("versionId"); !v.empty()) {
    r.headers.Set("x-amz-version-id", v);
  }
  return r;
}

Result<RestoreAnswer> Service::ApplyRestore(const std::string& bucket, const std::string& key,
                                            const RestoreParams& params,
                                            const std::string& request_id,
                                            const std::string& version_id) {
  // Restores are serialized (rng_mu_ over read-modify-write) so that two clients racing to
  // restore one object get 202 and 409, as from S3, never two 202s.
  std::lock_guard<std::mutex> lock(rng_mu_);
  THAW_ASSIGN_OR_RETURN(ObjectRecord rec, LoadObject(bucket, key, version_id));
  // Expedited capacity (--expedited, PUT /_thaw/expedited): only a restore that would start or
  // speed up needs capacity; classes without Expedited get their own error from RequestRestore.
  bool deep = rec.archive.storage_class == s3::kDeepArchive ||
              rec.archive.archive_status == s3::kDeepArchiveAccess;
  double unavailable = expedited_unavailable_;
  if (params.tier == s3::RestoreTier::kExpedited && unavailable > 0 && rec.archive.archived() &&
      !deep && rec.archive.restore != ArchiveState::Restore::kRestored &&
      std::uniform_real_distribution<double>(0, 1)(rng_) < unavailable) {
    return S3Err("GlacierExpeditedRetrievalNotAvailable");
  }
  Result<RestoreAnswer> answer = RequestRestore(rec.archive, params, clock_.Now(), rng_);
  if (!answer.ok()) return answer.status();
  THAW_RETURN_IF_ERROR(store_.UpdateObject(rec));
  if (*answer == RestoreAnswer::kAccepted) {
    PostRestoreEvent(RestoreEventRecord::Kind::kPost, rec, clock_.Now(), request_id);
  }
  return *answer;
}

}  // namespace thaw::sim
