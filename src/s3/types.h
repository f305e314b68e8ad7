// Typed values of S3's API as thaw uses them: storage classes, restore state, object metadata,
// listing entries, and the outcome of a RestoreObject call.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"

namespace thaw::s3 {

// S3's storage class names (the wire strings). STANDARD when S3 omits the header/element.
inline constexpr std::string_view kStandard = "STANDARD";
inline constexpr std::string_view kGlacier = "GLACIER";
inline constexpr std::string_view kDeepArchive = "DEEP_ARCHIVE";
inline constexpr std::string_view kIntelligentTiering = "INTELLIGENT_TIERING";
inline constexpr std::string_view kGlacierIr = "GLACIER_IR";

// x-amz-archive-status values for Intelligent-Tiering archive tiers.
inline constexpr std::string_view kArchiveAccess = "ARCHIVE_ACCESS";
inline constexpr std::string_view kDeepArchiveAccess = "DEEP_ARCHIVE_ACCESS";

// True for classes whose objects cannot be read without a restore (GLACIER, DEEP_ARCHIVE), or
// Intelligent-Tiering objects whose archive status names an archive tier.
bool IsArchived(std::string_view storage_class, std::string_view archive_status = "");

// Restore state as S3 reports it (x-amz-restore on HEAD, RestoreStatus in listings).
struct RestoreStatus {
  enum class State { kNone, kOngoing, kRestored };
  State state = State::kNone;
  std::optional<Clock::TimePoint> expiry;  // set when kRestored
};
std::string_view RestoreStateName(RestoreStatus::State s);  // "none", "ongoing", "restored"

// Parses an x-amz-restore header value tolerantly (spacing, quoting, key order):
//   ongoing-request="true"
//   ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT"
// An empty value means kNone. Returns nullopt for a value it cannot make sense of.
std::optional<RestoreStatus> ParseRestoreHeader(std::string_view value);
// The inverse, as S3 writes it (used by the sim).
std::string FormatRestoreHeader(const RestoreStatus& status);

// Whether every name in an x-amz-optional-object-attributes value (comma-separated) is one S3
// knows; today that is only "RestoreStatus". S3 refuses a listing that asks for another name
// with 400 InvalidArgument "Invalid attribute name specified".
bool KnownOptionalObjectAttributes(std::string_view value);

// FSx for Lustre's POSIX metadata keys in user metadata (without the x-amz-meta- prefix).
struct PosixMetadata {
  std::optional<uint32_t> mode;           // file-permissions, octal type+mode, e.g. 0100664
  std::optional<uint32_t> uid;            // file-owner
  std::optional<uint32_t> gid;            // file-group
  std::optional<Clock::TimePoint> mtime;  // file-mtime: "<n>ns" nanoseconds, else milliseconds
  std::optional<Clock::TimePoint> atime;  // file-atime
};
PosixMetadata ParsePosixMetadata(const std::map<std::string, std::string>& user_metadata);

// HeadObject's answer (and the header part of GetObject's).
struct ObjectInfo {
  std::string bucket;
  std::string key;
  uint64_t size = 0;
  std::string etag;  // with S3's quotes, as sent
  Clock::TimePoint last_modified{};
  std::string storage_class = std::string(kStandard);
  std::string archive_status;  // x-amz-archive-status (Intelligent-Tiering), "" if absent
  RestoreStatus restore;
  std::string restore_header;  // raw x-amz-restore, "" if absent
  std::string version_id;
  std::string content_type;
  std::map<std::string, std::string> metadata;  // x-amz-meta-* without the prefix, lower-case keys

  bool archived() const { return IsArchived(storage_class, archive_status); }
  // Readable now: not archived, or archived with a restored copy.
  bool readable() const { return !archived() || restore.state == RestoreStatus::State::kRestored; }
};

// One entry of ListObjectsV2.
struct ObjectSummary {
  std::string key;
  uint64_t size = 0;
  std::string etag;
  Clock::TimePoint last_modified{};
  std::string storage_class = std::string(kStandard);
  // Present only when the server honoured x-amz-optional-object-attributes: RestoreStatus.
  std::optional<RestoreStatus> restore;
};

struct ListObjectsPage {
  std::vector<ObjectSummary> objects;
  std::vector<std::string> common_prefixes;
  bool is_truncated = false;
  std::string next_continuation_token;
  int key_count = 0;
};

// One uploaded part of a multipart upload, as CompleteMultipartUpload names it.
struct CompletedPart {
  int part_number = 0;
  std::string etag;  // as UploadPart returned it (with S3's quotes)
};

enum class RestoreTier { kExpedited, kStandard, kBulk };
std::string_view RestoreTierName(RestoreTier t);                  // "Expedited", "Standard", "Bulk"
std::optional<RestoreTier> ParseRestoreTier(std::string_view s);  // case-insensitive

// Every answer to RestoreObject that is not a plain failure (facts doc, RestoreObject table).
enum class RestoreOutcome {
  kAccepted,              // 202: a new restore started
  kAlreadyRestored,       // 200: a restored copy exists; its expiry was recomputed
  kAlreadyInProgress,     // 409 RestoreAlreadyInProgress: someone else started it (success)
  kExpeditedUnavailable,  // 503 GlacierExpeditedRetrievalNotAvailable: retry with another tier
  kNotArchived,           // 403 InvalidObjectState / ObjectAlreadyInActiveTierError: readable
};
std::string_view RestoreOutcomeName(RestoreOutcome o);

// How many times faster than real time an endpoint's clock runs, as `thaw sim --time-scale N`
// announces it on every answer. AWS never sends it. What to do with it is the caller's business
// (the restore tracker shortens its schedule); the client only reports it.
inline constexpr std::string_view kTimeScaleHeader = "x-thaw-time-scale";
// The header's value when it is a finite number in [1, 1e7]; nullopt otherwise (a slower
// clock or nonsense changes nothing).
std::optional<double> ParseTimeScale(std::string_view value);

}  // namespace thaw::s3
