// S3 server access log lines: a tokenizer over string_views (no allocation per field), the
// bracketed time format, and the classification of each line (rules in access_log.h).
#include "events/access_log.h"

#include <algorithm>
#include <chrono>

#include "common/strings.h"
#include "events/internal/classify.h"

namespace thaw::events {
namespace {

// Fields the classifier reads; more may follow.
constexpr size_t kMinFields = 11;
constexpr size_t kMaxFields = 32;  // fields past this are not kept (new ones are appended)

enum Field : size_t {
  kBucketOwner = 0,
  kBucket = 1,
  kTime = 2,
  kRemoteIp = 3,
  kRequester = 4,
  kRequestId = 5,
  kOperation = 6,
  kKey = 7,
  kRequestUri = 8,
  kHttpStatus = 9,
  kErrorCode = 10,
  kUserAgent = 16,
  kVersionId = 17,
  kHostId = 18,
};

struct Tokens {
  std::array<std::string_view, kMaxFields> field;
  size_t count = 0;
  const char* error = nullptr;  // why the line could not be split
  std::string_view Get(size_t i) const {
    if (i >= count || field[i] == "-") return {};
    return field[i];
  }
};

// Splits at spaces; "..." runs to a quote followed by a space or the end (so a quote inside a
// user agent does not end the field early), [...] to the closing bracket.
Tokens Tokenize(std::string_view line) {
  Tokens t;
  size_t i = 0;
  const size_t n = line.size();
  while (i < n) {
    while (i < n && line[i] == ' ') ++i;
    if (i >= n) break;
    std::string_view value;
    if (line[i] == '"') {
      size_t j = i + 1;
      while (true) {
        j = line.find('"', j);
        if (j == std::string_view::npos) {
          t.error = "unterminated quoted field";
          return t;
        }
        if (j + 1 == n || line[j + 1] == ' ') break;
        ++j;
      }
      value = line.substr(i + 1, j - i - 1);
      i = j + 1;
    } else if (line[i] == '[') {
      size_t j = line.find(']', i + 1);
      if (j == std::string_view::npos) {
        t.error = "unterminated [time] field";
        return t;
      }
      value = line.substr(i + 1, j - i - 1);
      i = j + 1;
    } else {
      size_t j = line.find(' ', i);
      if (j == std::string_view::npos) j = n;
      value = line.substr(i, j - i);
      i = j;
    }
    if (t.count < kMaxFields) t.field[t.count] = value;
    ++t.count;
  }
  if (t.count < kMinFields) t.error = "too few fields";
  return t;
}

bool TwoDigits(std::string_view s, size_t at, int* out) {
  if (at + 2 > s.size() || !isdigit(static_cast<unsigned char>(s[at])) ||
      !isdigit(static_cast<unsigned char>(s[at + 1]))) {
    return false;
  }
  *out = (s[at] - '0') * 10 + (s[at + 1] - '0');
  return true;
}

std::optional<int> ParseStatus(std::string_view s) {
  std::optional<int64_t> v = ParseInt64(s);
  if (!v || *v < 100 || *v > 999) return std::nullopt;
  return static_cast<int>(*v);
}

}  // namespace

std::optional<TimePoint> ParseAccessLogTime(std::string_view s) {
  if (!s.empty() && s.front() == '[') s.remove_prefix(1);
  if (!s.empty() && s.back() == ']') s.remove_suffix(1);
  // dd/Mon/yyyy:hh:mm:ss +hhmm
  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (s.size() != 26 || s[2] != '/' || s[6] != '/' || s[11] != ':' || s[14] != ':' ||
      s[17] != ':' || s[20] != ' ' || (s[21] != '+' && s[21] != '-')) {
    return std::nullopt;
  }
  int day, hour, minute, second, off_h, off_m, y1, y2;
  if (!TwoDigits(s, 0, &day) || !TwoDigits(s, 7, &y1) || !TwoDigits(s, 9, &y2) ||
      !TwoDigits(s, 12, &hour) || !TwoDigits(s, 15, &minute) || !TwoDigits(s, 18, &second) ||
      !TwoDigits(s, 22, &off_h) || !TwoDigits(s, 24, &off_m)) {
    return std::nullopt;
  }
  auto month_it = std::find(std::begin(kMonths), std::end(kMonths), s.substr(3, 3));
  if (month_it == std::end(kMonths)) return std::nullopt;
  unsigned month = static_cast<unsigned>(month_it - std::begin(kMonths)) + 1;
  using namespace std::chrono;
  year_month_day ymd{year(y1 * 100 + y2), std::chrono::month(month),
                     std::chrono::day(static_cast<unsigned>(day))};
  // TimePoint holds years 1678-2261 only (64-bit nanoseconds); S3 logs are far inside that.
  const int y = y1 * 100 + y2;
  if (y < 1678 || y > 2261) return std::nullopt;
  if (!ymd.ok() || hour > 23 || minute > 59 || second > 60 || off_h > 23 || off_m > 59) {
    return std::nullopt;
  }
  auto offset = hours(off_h) + minutes(off_m);
  TimePoint t = sys_days(ymd) + hours(hour) + minutes(minute) + seconds(second);
  return s[21] == '+' ? t - offset : t + offset;
}

Result<AccessLogRecord> ParseAccessLogLine(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  Tokens t = Tokenize(line);
  if (t.error) return ParseError(ParseErrorKind::kBadLine, std::string("access log: ") + t.error);
  AccessLogRecord r;
  r.field_count = t.count;
  r.bucket_owner = t.Get(kBucketOwner);
  r.bucket = t.Get(kBucket);
  r.time = ParseAccessLogTime(t.Get(kTime));
  r.remote_ip = t.Get(kRemoteIp);
  r.requester = t.Get(kRequester);
  r.request_id = t.Get(kRequestId);
  r.operation = t.Get(kOperation);
  r.raw_key = t.Get(kKey);
  r.key = UriDecode(r.raw_key).value_or(r.raw_key);
  r.request_uri = t.Get(kRequestUri);
  r.http_status = ParseStatus(t.Get(kHttpStatus));
  r.error_code = t.Get(kErrorCode);
  r.user_agent = t.Get(kUserAgent);
  r.version_id = t.Get(kVersionId);
  r.host_id = t.Get(kHostId);
  return r;
}

bool LooksLikeAccessLog(std::string_view text) {
  size_t start = 0;
  while (start < text.size() && (text[start] == '\n' || text[start] == '\r')) ++start;
  size_t end = text.find('\n', start);
  std::string_view line =
      text.substr(start, end == std::string_view::npos ? text.npos : end - start);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  Tokens t = Tokenize(line);
  return t.error == nullptr && ParseAccessLogTime(t.field[kTime]).has_value();
}

namespace internal {
namespace {

bool IsReadOperation(std::string_view op) {
  return std::find(kAccessLogReadOperations.begin(), kAccessLogReadOperations.end(), op) !=
         kAccessLogReadOperations.end();
}

void ClassifyLine(std::string_view line, uint64_t line_no, Sink& sink) {
  constexpr Format kFormat = Format::kAccessLog;
  auto where = [&] { return "line " + std::to_string(line_no) + ":"; };
  if (line.size() > sink.limits().max_line_bytes) {
    sink.Ignore(IgnoreReason::kMalformed, kFormat, where(), "longer than max_line_bytes");
    return;
  }
  Tokens t = Tokenize(line);
  if (t.error) {
    sink.Ignore(IgnoreReason::kMalformed, kFormat, where(), t.error);
    return;
  }
  const std::string_view op = t.Get(kOperation);
  const std::string_view request_id = t.Get(kRequestId);
  if (!IsReadOperation(op)) {
    sink.Ignore(IgnoreReason::kOtherEvent, kFormat, "operation", op, request_id);
    return;
  }
  const std::string_view error = t.Get(kErrorCode);
  if (error.empty()) {
    sink.Ignore(IgnoreReason::kSucceeded, kFormat, op, "succeeded", request_id);
    return;
  }
  if (error != "InvalidObjectState") {
    sink.Ignore(IgnoreReason::kOtherError, kFormat, "error code", error, request_id);
    return;
  }
  const std::string_view bucket = t.Get(kBucket), raw_key = t.Get(kKey);
  std::optional<std::string> key;
  if (!raw_key.empty()) key = UriDecode(raw_key);
  if (bucket.empty() || !key || key->empty()) {
    sink.Ignore(IgnoreReason::kMalformed, kFormat, where(),
                bucket.empty() ? "no bucket" : "no key, or a key that does not decode", request_id);
    return;
  }
  Event e;
  e.kind = EventKind::kRestoreWanted;
  e.format = kFormat;
  e.bucket = std::string(bucket);
  e.key = std::move(*key);
  e.version_id = std::string(t.Get(kVersionId));
  if (!request_id.empty()) e.event_id = "accesslog:" + std::string(request_id);
  e.request_id = std::string(request_id);
  e.time = ParseAccessLogTime(t.Get(kTime));
  e.event_name = std::string(op);
  e.error_code = std::string(error);
  e.principal = std::string(t.Get(kRequester));
  sink.Add(std::move(e));
}

}  // namespace

Status ClassifyAccessLog(std::string_view text, Sink& sink) {
  uint64_t line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (Trim(line).empty()) continue;
    if (!sink.CountRecord()) {
      return ParseError(
          ParseErrorKind::kTooManyRecords,
          "access log: more than " + std::to_string(sink.limits().max_records) + " lines");
    }
    ClassifyLine(line, line_no, sink);
  }
  return Status::Ok();
}

}  // namespace internal
}  // namespace thaw::events
