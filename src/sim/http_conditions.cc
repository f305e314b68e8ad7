// Range parsing and conditional request evaluation for GetObject/HeadObject.
#include "sim/http_conditions.h"

#include <chrono>

#include "common/strings.h"
#include "common/time_format.h"
#include "sim/s3_error.h"

namespace thaw::sim {
namespace {

// True when `etag` matches one entry of a comma-separated If-Match/If-None-Match list ("*"
// matches any). Quotes and weak prefixes are ignored, as S3 does.
bool EtagListMatches(std::string_view list, std::string_view etag) {
  auto strip = [](std::string_view s) {
    s = Trim(s);
    if (StartsWith(s, "W/")) s.remove_prefix(2);
    if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
    return s;
  };
  std::string_view want = strip(etag);
  for (const std::string& item : Split(list, ',')) {
    std::string_view v = strip(item);
    if (v == "*" || v == want) return true;
  }
  return false;
}

// HTTP dates have one-second resolution; compare at that resolution.
int64_t Seconds(Clock::TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace

Status CheckWriteConditions(const s3::HttpHeaders& headers, const std::string* current_etag) {
  if (const std::string* none_match = headers.Find("If-None-Match")) {
    if (Trim(*none_match) != "*") {
      return S3Err("NotImplemented", "If-None-Match on a write accepts only *");
    }
    if (current_etag) return S3Err("PreconditionFailed");
  }
  if (const std::string* match = headers.Find("If-Match")) {
    if (!current_etag) return S3Err("NoSuchKey");
    if (!EtagListMatches(*match, *current_etag)) return S3Err("PreconditionFailed");
  }
  return Status::Ok();
}

Result<std::optional<ByteRange>> ParseRange(std::string_view header, uint64_t size) {
  std::string_view h = Trim(header);
  if (h.empty() || !StartsWith(h, "bytes=")) return std::optional<ByteRange>();
  h.remove_prefix(6);
  if (h.find(',') != std::string_view::npos) return std::optional<ByteRange>();
  size_t dash = h.find('-');
  if (dash == std::string_view::npos) return std::optional<ByteRange>();
  std::string_view a = Trim(h.substr(0, dash));
  std::string_view b = Trim(h.substr(dash + 1));
  auto unsatisfiable = [] { return S3Err("InvalidRange"); };
  if (a.empty()) {  // suffix: the last n bytes
    auto n = ParseUint64(b);
    if (!n) return std::optional<ByteRange>();
    if (*n == 0 || size == 0) return unsatisfiable();
    uint64_t len = std::min(*n, size);
    return std::optional<ByteRange>(ByteRange{size - len, len});
  }
  auto first = ParseUint64(a);
  if (!first) return std::optional<ByteRange>();
  uint64_t last = size == 0 ? 0 : size - 1;
  if (!b.empty()) {
    auto l = ParseUint64(b);
    if (!l || *l < *first) return std::optional<ByteRange>();
    last = std::min(*l, last);
  }
  if (*first >= size) return unsatisfiable();
  return std::optional<ByteRange>(ByteRange{*first, last - *first + 1});
}

ConditionResult EvaluateConditions(const s3::HttpHeaders& headers, std::string_view etag,
                                   Clock::TimePoint last_modified) {
  const std::string* if_match = headers.Find("If-Match");
  const std::string* if_none_match = headers.Find("If-None-Match");
  if (if_match && !EtagListMatches(*if_match, etag)) return ConditionResult::kPreconditionFailed;
  if (!if_match) {
    if (const std::string* ius = headers.Find("If-Unmodified-Since")) {
      auto t = ParseHttpDate(*ius);
      if (t && Seconds(last_modified) > Seconds(*t)) return ConditionResult::kPreconditionFailed;
    }
  }
  if (if_none_match && EtagListMatches(*if_none_match, etag)) return ConditionResult::kNotModified;
  if (!if_none_match) {
    if (const std::string* ims = headers.Find("If-Modified-Since")) {
      auto t = ParseHttpDate(*ims);
      if (t && Seconds(last_modified) <= Seconds(*t)) return ConditionResult::kNotModified;
    }
  }
  return ConditionResult::kProceed;
}

}  // namespace thaw::sim
