// S3 value types: which storage classes need a restore, the x-amz-restore header in both
// directions, FSx's POSIX metadata keys, and the names of tiers and outcomes.
#include "s3/types.h"

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <limits>

#include "common/strings.h"
#include "common/time_format.h"

namespace thaw::s3 {
namespace {

// One `key=value` pair of an x-amz-restore header, as written (value unquoted).
struct RestoreField {
  std::string key;  // lower-case
  std::string value;
};

bool IsKeyChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
}

void SkipSpaces(std::string_view& s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
}

// True when `s` starts with `[spaces] key [spaces] =`: where an unquoted value ends.
bool StartsWithKey(std::string_view s) {
  SkipSpaces(s);
  size_t n = 0;
  while (n < s.size() && IsKeyChar(s[n])) ++n;
  if (n == 0) return false;
  s.remove_prefix(n);
  SkipSpaces(s);
  return !s.empty() && s.front() == '=';
}

// Reads a value: quoted with " or ', or bare. A bare expiry-date contains commas ("Fri, 21 Dec
// ..."), so a bare value only ends at a comma that is followed by another `key=`.
std::optional<std::string> ReadValue(std::string_view& s) {
  SkipSpaces(s);
  if (!s.empty() && (s.front() == '"' || s.front() == '\'')) {
    char quote = s.front();
    size_t end = s.find(quote, 1);
    if (end == std::string_view::npos) return std::nullopt;
    std::string value(s.substr(1, end - 1));
    s.remove_prefix(end + 1);
    return value;
  }
  size_t end = 0;
  while (end < s.size() && !(s[end] == ',' && StartsWithKey(s.substr(end + 1)))) ++end;
  std::string value(Trim(s.substr(0, end)));
  s.remove_prefix(end);
  return value;
}

// Splits a header value into fields; nullopt when it is not a comma-separated key=value list.
std::optional<std::vector<RestoreField>> SplitRestoreFields(std::string_view s) {
  std::vector<RestoreField> fields;
  while (true) {
    while (!s.empty() && (s.front() == ',' || s.front() == ' ' || s.front() == '\t')) {
      s.remove_prefix(1);
    }
    if (s.empty()) return fields;
    size_t n = 0;
    while (n < s.size() && IsKeyChar(s[n])) ++n;
    if (n == 0) return std::nullopt;
    RestoreField f{ToLower(s.substr(0, n)), {}};
    s.remove_prefix(n);
    SkipSpaces(s);
    if (s.empty() || s.front() != '=') return std::nullopt;
    s.remove_prefix(1);
    auto value = ReadValue(s);
    if (!value) return std::nullopt;
    f.value = std::move(*value);
    fields.push_back(std::move(f));
    // Fields are comma-separated; a missing comma between a quoted value and the next key is
    // forgiven since the meaning is still plain.
    SkipSpaces(s);
    if (!s.empty() && s.front() != ',' && !StartsWithKey(s)) return std::nullopt;
  }
}

// Octal digits only; FSx writes type and mode bits, which fit in 16 bits (0177777).
std::optional<uint32_t> ParseOctalMode(std::string_view s) {
  s = Trim(s);
  if (s.empty() || s.size() > 12) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '7') return std::nullopt;
    v = v * 8 + static_cast<uint64_t>(c - '0');
  }
  if (v > 0177777) return std::nullopt;
  return static_cast<uint32_t>(v);
}

std::optional<uint32_t> ParseId(std::string_view s) {
  auto v = ParseUint64(Trim(s));
  if (!v || *v > std::numeric_limits<uint32_t>::max()) return std::nullopt;
  return static_cast<uint32_t>(*v);
}

// "<n>ns" is nanoseconds since the epoch; a bare number (or "<n>ms") is milliseconds. Values
// outside system_clock's range (about +-292 years in nanoseconds) are rejected, not wrapped.
std::optional<Clock::TimePoint> ParsePosixTime(std::string_view s) {
  s = Trim(s);
  int64_t per_unit = 1000000;
  if (EndsWith(s, "ns")) {
    per_unit = 1;
    s.remove_suffix(2);
  } else if (EndsWith(s, "ms")) {
    s.remove_suffix(2);
  }
  auto n = ParseInt64(s);
  if (!n) return std::nullopt;
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  if (*n > kMax / per_unit || *n < -(kMax / per_unit)) return std::nullopt;
  auto since_epoch = std::chrono::nanoseconds(*n * per_unit);
  return Clock::TimePoint(std::chrono::duration_cast<Clock::TimePoint::duration>(since_epoch));
}

}  // namespace

bool IsArchived(std::string_view storage_class, std::string_view archive_status) {
  if (EqualsIgnoreCase(storage_class, kGlacier) || EqualsIgnoreCase(storage_class, kDeepArchive)) {
    return true;
  }
  // Intelligent-Tiering objects in the frequent/infrequent/instant tiers read like STANDARD.
  return EqualsIgnoreCase(storage_class, kIntelligentTiering) &&
         (EqualsIgnoreCase(archive_status, kArchiveAccess) ||
          EqualsIgnoreCase(archive_status, kDeepArchiveAccess));
}

std::string_view RestoreStateName(RestoreStatus::State s) {
  switch (s) {
    case RestoreStatus::State::kNone:
      return "none";
    case RestoreStatus::State::kOngoing:
      return "ongoing";
    case RestoreStatus::State::kRestored:
      return "restored";
  }
  return "unknown";
}

std::optional<RestoreStatus> ParseRestoreHeader(std::string_view value) {
  if (Trim(value).empty()) return RestoreStatus{};
  auto fields = SplitRestoreFields(Trim(value));
  if (!fields) return std::nullopt;
  std::optional<bool> ongoing;
  std::optional<std::string> expiry_text;
  for (const auto& f : *fields) {
    if (f.key == "ongoing-request") {
      std::string v = ToLower(Trim(f.value));
      if (v != "true" && v != "false") return std::nullopt;
      ongoing = (v == "true");
    } else if (f.key == "expiry-date") {
      expiry_text = f.value;
    }  // Other keys (future additions) are ignored.
  }
  RestoreStatus status;
  if (ongoing.value_or(false)) {
    status.state = RestoreStatus::State::kOngoing;
    return status;
  }
  if (expiry_text) {
    status.expiry = ParseHttpDate(*expiry_text);
    if (!status.expiry) status.expiry = ParseIso8601(*expiry_text);
    if (!status.expiry) return std::nullopt;
  }
  // `ongoing-request="false"` alone still means the restore finished; only the expiry is
  // unknown. A value with neither key says nothing we understand.
  if (!ongoing && !status.expiry) return std::nullopt;
  status.state = RestoreStatus::State::kRestored;
  return status;
}

bool KnownOptionalObjectAttributes(std::string_view value) {
  for (const std::string& name : Split(value, ',')) {
    if (Trim(name) != "RestoreStatus") return false;
  }
  return true;
}

std::string FormatRestoreHeader(const RestoreStatus& status) {
  switch (status.state) {
    case RestoreStatus::State::kNone:
      return "";
    case RestoreStatus::State::kOngoing:
      return "ongoing-request=\"true\"";
    case RestoreStatus::State::kRestored:
      if (!status.expiry) return "ongoing-request=\"false\"";
      return "ongoing-request=\"false\", expiry-date=\"" + FormatHttpDate(*status.expiry) + "\"";
  }
  return "";
}

PosixMetadata ParsePosixMetadata(const std::map<std::string, std::string>& user_metadata) {
  PosixMetadata md;
  // Keys are matched case-insensitively: HTTP header names carry no case.
  for (const auto& [raw_key, value] : user_metadata) {
    std::string key = ToLower(raw_key);
    if (key == "file-permissions") {
      md.mode = ParseOctalMode(value);
    } else if (key == "file-owner") {
      md.uid = ParseId(value);
    } else if (key == "file-group") {
      md.gid = ParseId(value);
    } else if (key == "file-mtime") {
      md.mtime = ParsePosixTime(value);
    } else if (key == "file-atime") {
      md.atime = ParsePosixTime(value);
    }
  }
  return md;
}

std::string_view RestoreTierName(RestoreTier t) {
  switch (t) {
    case RestoreTier::kExpedited:
      return "Expedited";
    case RestoreTier::kStandard:
      return "Standard";
    case RestoreTier::kBulk:
      return "Bulk";
  }
  return "Standard";
}

std::optional<RestoreTier> ParseRestoreTier(std::string_view s) {
  s = Trim(s);
  for (RestoreTier t : {RestoreTier::kExpedited, RestoreTier::kStandard, RestoreTier::kBulk}) {
    if (EqualsIgnoreCase(s, RestoreTierName(t))) return t;
  }
  return std::nullopt;
}

std::optional<double> ParseTimeScale(std::string_view value) {
  std::string s(Trim(value));
  if (s.empty() || s.size() > 32) return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !(v >= 1.0 && v <= 1e7)) return std::nullopt;
  return v;
}

std::string_view RestoreOutcomeName(RestoreOutcome o) {
  switch (o) {
    case RestoreOutcome::kAccepted:
      return "accepted";
    case RestoreOutcome::kAlreadyRestored:
      return "already_restored";
    case RestoreOutcome::kAlreadyInProgress:
      return "already_in_progress";
    case RestoreOutcome::kExpeditedUnavailable:
      return "expedited_unavailable";
    case RestoreOutcome::kNotArchived:
      return "not_archived";
  }
  return "unknown";
}

}  // namespace thaw::s3
