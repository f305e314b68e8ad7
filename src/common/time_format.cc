// Time formatting and parsing (see time_format.h). Uses only civil-date arithmetic (no locale,
// no TZ environment), so results do not depend on the machine's settings.
#include "common/time_format.h"

#include <cstdio>
#include <cstring>

#include "common/strings.h"

namespace thaw {
namespace {

using std::chrono::days;
using std::chrono::seconds;
using std::chrono::sys_days;
using std::chrono::year_month_day;

const char* const kWeekdays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                               "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

struct Civil {
  int year, month, day, hour, minute, second;
  int64_t nanos;
  int weekday;  // 0 = Sunday
};

Civil ToCivil(TimePoint t) {
  auto secs = std::chrono::floor<seconds>(t);
  auto dp = std::chrono::floor<days>(secs);
  year_month_day ymd{dp};
  std::chrono::hh_mm_ss<seconds> hms{secs - dp};
  std::chrono::weekday wd{dp};
  Civil c;
  c.year = static_cast<int>(ymd.year());
  c.month = static_cast<int>(static_cast<unsigned>(ymd.month()));
  c.day = static_cast<int>(static_cast<unsigned>(ymd.day()));
  c.hour = static_cast<int>(hms.hours().count());
  c.minute = static_cast<int>(hms.minutes().count());
  c.second = static_cast<int>(hms.seconds().count());
  c.nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(t - secs).count();
  c.weekday = static_cast<int>(wd.c_encoding());
  return c;
}

std::optional<TimePoint> FromCivil(int y, int mo, int d, int h, int mi, int s) {
  // TimePoint counts nanoseconds in 64 bits: only years 1678-2261 are representable, and
  // converting any other date overflows (undefined behaviour, found by fuzzing the events
  // parsers with "eventTime":"9999-...").
  if (y < 1678 || y > 2261) return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 ||
      s > 60) {
    return std::nullopt;
  }
  year_month_day ymd{std::chrono::year{y}, std::chrono::month{static_cast<unsigned>(mo)},
                     std::chrono::day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  return TimePoint(sys_days{ymd}) + std::chrono::hours(h) + std::chrono::minutes(mi) + seconds(s);
}

bool ReadInt(std::string_view& s, size_t digits, int& out) {
  if (s.size() < digits) return false;
  int v = 0;
  for (size_t i = 0; i < digits; ++i) {
    char c = s[i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  s.remove_prefix(digits);
  return true;
}

bool Expect(std::string_view& s, char c) {
  if (s.empty() || s.front() != c) return false;
  s.remove_prefix(1);
  return true;
}

}  // namespace

std::string FormatHttpDate(TimePoint t) {
  Civil c = ToCivil(t);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", kWeekdays[c.weekday], c.day,
                kMonths[c.month - 1], c.year, c.hour, c.minute, c.second);
  return buf;
}

std::optional<TimePoint> ParseHttpDate(std::string_view s) {
  s = Trim(s);
  // Optional "Fri," prefix.
  if (auto comma = s.find(','); comma != std::string_view::npos && comma <= 9) {
    s.remove_prefix(comma + 1);
  }
  s = Trim(s);
  // "21 Dec 2012 00:00:00 GMT"
  std::vector<std::string> parts;
  for (auto& p : Split(s, ' ')) {
    if (!p.empty()) parts.push_back(p);
  }
  if (parts.size() < 4 || parts.size() > 5) return std::nullopt;
  auto day = ParseInt64(parts[0]);
  int month = 0;
  for (int i = 0; i < 12; ++i) {
    if (EqualsIgnoreCase(parts[1], kMonths[i])) month = i + 1;
  }
  auto year = ParseInt64(parts[2]);
  if (!day || !month || !year) return std::nullopt;
  // Range-check before narrowing to int: 4294967317 would otherwise wrap to day 21.
  if (*day < 1 || *day > 31 || *year < 1 || *year > 9999) return std::nullopt;
  std::string_view hms = parts[3];
  int h, mi, sec;
  if (!ReadInt(hms, 2, h) || !Expect(hms, ':') || !ReadInt(hms, 2, mi) || !Expect(hms, ':') ||
      !ReadInt(hms, 2, sec) || !hms.empty()) {
    return std::nullopt;
  }
  if (parts.size() >= 5 && parts[4] != "GMT" && parts[4] != "UTC" && parts[4] != "+0000") {
    return std::nullopt;
  }
  return FromCivil(static_cast<int>(*year), month, static_cast<int>(*day), h, mi, sec);
}

std::string FormatIso8601(TimePoint t, bool with_millis) {
  Civil c = ToCivil(t);
  char buf[64];
  if (with_millis) {
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", c.year, c.month, c.day,
                  c.hour, c.minute, c.second, static_cast<int>(c.nanos / 1000000));
  } else {
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", c.year, c.month, c.day, c.hour,
                  c.minute, c.second);
  }
  return buf;
}

std::optional<TimePoint> ParseIso8601(std::string_view s) {
  s = Trim(s);
  int y, mo, d, h, mi, sec;
  bool basic = s.size() >= 8 && s[4] != '-';
  if (!ReadInt(s, 4, y)) return std::nullopt;
  if (!basic && !Expect(s, '-')) return std::nullopt;
  if (!ReadInt(s, 2, mo)) return std::nullopt;
  if (!basic && !Expect(s, '-')) return std::nullopt;
  if (!ReadInt(s, 2, d)) return std::nullopt;
  if (s.empty()) return FromCivil(y, mo, d, 0, 0, 0);
  if (!Expect(s, 'T') && !Expect(s, 't') && !Expect(s, ' ')) return std::nullopt;
  if (!ReadInt(s, 2, h)) return std::nullopt;
  if (!basic && !Expect(s, ':')) return std::nullopt;
  if (!ReadInt(s, 2, mi)) return std::nullopt;
  if (!basic && !Expect(s, ':')) return std::nullopt;
  if (!ReadInt(s, 2, sec)) return std::nullopt;
  int64_t nanos = 0;
  if (!s.empty() && s.front() == '.') {
    s.remove_prefix(1);
    int64_t scale = 100000000;
    size_t n = 0;
    while (!s.empty() && s.front() >= '0' && s.front() <= '9') {
      nanos += (s.front() - '0') * scale;
      scale /= 10;
      s.remove_prefix(1);
      ++n;
    }
    if (n == 0) return std::nullopt;
  }
  int offset_minutes = 0;
  if (s == "Z" || s == "z" || s.empty()) {
    // UTC
  } else if (s.front() == '+' || s.front() == '-') {
    int sign = s.front() == '-' ? -1 : 1;
    s.remove_prefix(1);
    int oh, om = 0;
    if (!ReadInt(s, 2, oh)) return std::nullopt;
    bool colon = Expect(s, ':');
    if ((colon || !s.empty()) && !ReadInt(s, 2, om)) return std::nullopt;
    if (!s.empty() || oh > 23 || om > 59) return std::nullopt;
    offset_minutes = sign * (oh * 60 + om);
  } else {
    return std::nullopt;
  }
  auto t = FromCivil(y, mo, d, h, mi, sec);
  if (!t) return std::nullopt;
  return *t + std::chrono::duration_cast<TimePoint::duration>(std::chrono::nanoseconds(nanos)) -
         std::chrono::minutes(offset_minutes);
}

std::string FormatAmzDate(TimePoint t) {
  Civil c = ToCivil(t);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d%02d%02dT%02d%02d%02dZ", c.year, c.month, c.day, c.hour,
                c.minute, c.second);
  return buf;
}

std::string FormatAmzDateStamp(TimePoint t) {
  return FormatAmzDate(t).substr(0, 8);
}

std::optional<TimePoint> ParseAnyTime(std::string_view s) {
  if (auto t = ParseIso8601(s)) return t;
  return ParseHttpDate(s);
}

}  // namespace thaw
