// Logging setup (see log.h).
#include "common/log.h"

#include <spdlog/details/os.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdio>
#include <string>

#include "common/clock.h"
#include "common/strings.h"
#include "common/terminal_escape.h"
#include "common/time_format.h"

namespace thaw {
namespace {

// The `%*` flag: the message payload, escaped. It replaces `%v`, which writes it raw.
class EscapedPayloadFlag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    std::string_view payload(msg.payload.data(), msg.payload.size());
    if (!NeedsTerminalEscape(payload)) {
      dest.append(payload.data(), payload.data() + payload.size());
      return;
    }
    std::string escaped = EscapeForTerminal(payload);
    dest.append(escaped.data(), escaped.data() + escaped.size());
  }
  std::unique_ptr<spdlog::custom_flag_formatter> clone() const override {
    return std::make_unique<EscapedPayloadFlag>();
  }
};

// The code point of the UTF-8 sequence at s[i] and its length; {U+FFFD, 1} when malformed
// (truncated, overlong, surrogates, beyond U+10FFFF, a stray continuation byte).
std::pair<uint32_t, size_t> DecodeUtf8(std::string_view s, size_t i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (len == 0 || i + len > s.size()) return {0xFFFD, 1};
  if (len == 1) return {c, 1};
  uint32_t cp = c & (0x7F >> len);
  for (size_t k = 1; k < len; ++k) {
    unsigned char b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return {0xFFFD, 1};
    cp = (cp << 6) | (b & 0x3F);
  }
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return {0xFFFD, 1};
  return {cp, len};
}

// A JSON string literal holding `s`, in ASCII only.
void AppendJsonString(std::string_view s, spdlog::memory_buf_t& dest) {
  std::string out = "\"";
  char buf[16];
  for (size_t i = 0; i < s.size();) {
    auto [cp, len] = DecodeUtf8(s, i);
    i += len;
    if (cp == '"')
      out += "\\\"";
    else if (cp == '\\')
      out += "\\\\";
    else if (cp == '\n')
      out += "\\n";
    else if (cp == '\t')
      out += "\\t";
    else if (cp == '\r')
      out += "\\r";
    else if (cp >= 0x20 && cp < 0x7F)
      out += static_cast<char>(cp);
    else if (cp < 0x10000) {
      std::snprintf(buf, sizeof(buf), "\\u%04x", cp);
      out += buf;
    } else {  // a surrogate pair
      uint32_t v = cp - 0x10000;
      std::snprintf(buf, sizeof(buf), "\\u%04x\\u%04x", 0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF));
      out += buf;
    }
  }
  out += '"';
  dest.append(out.data(), out.data() + out.size());
}

class JsonFormatter : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string head = "{\"time\":\"" + FormatIso8601(msg.time) + "\",\"level\":\"" +
                       std::string(spdlog::level::to_string_view(msg.level).data(),
                                   spdlog::level::to_string_view(msg.level).size()) +
                       "\",\"msg\":";
    dest.append(head.data(), head.data() + head.size());
    AppendJsonString(std::string_view(msg.payload.data(), msg.payload.size()), dest);
    std::string tail =
        ",\"pid\":" + std::to_string(pid_) + ",\"thread\":" + std::to_string(msg.thread_id) + "}\n";
    dest.append(tail.data(), tail.data() + tail.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }

 private:
  int pid_ = spdlog::details::os::pid();
};

std::atomic<bool> json_format{false};

}  // namespace

bool JsonLogFormat() {
  return json_format.load();
}

std::string LogLine(std::string_view level, std::string_view text) {
  if (!json_format.load()) return std::string(text) + "\n";
  spdlog::memory_buf_t buf;
  std::string head = "{\"time\":\"" + FormatIso8601(Clock::Real().Now()) + "\",\"level\":\"" +
                     std::string(level) + "\",\"msg\":";
  buf.append(head.data(), head.data() + head.size());
  AppendJsonString(text, buf);
  std::string tail = ",\"pid\":" + std::to_string(spdlog::details::os::pid()) + "}\n";
  buf.append(tail.data(), tail.data() + tail.size());
  return std::string(buf.data(), buf.size());
}

std::unique_ptr<spdlog::formatter> MakeJsonLogFormatter() {
  return std::make_unique<JsonFormatter>();
}

Status SetLogFormat(std::string_view format) {
  std::string f = ToLower(format);
  if (f != "text" && f != "json") {
    return Status::InvalidArgument("unknown log format '" + std::string(format) +
                                   "' (use text or json)");
  }
  json_format.store(f == "json");
  if (auto logger = spdlog::get("thaw")) {
    logger->set_formatter(json_format.load() ? MakeJsonLogFormatter() : MakeLogFormatter());
  }
  return Status::Ok();
}

std::unique_ptr<spdlog::formatter> MakeLogFormatter() {
  auto f = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  f->add_flag<EscapedPayloadFlag>('*').set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %*");
  return f;
}

Status SetupLogging(std::string_view level) {
  std::string l = ToLower(level);
  spdlog::level::level_enum lvl;
  if (l == "trace")
    lvl = spdlog::level::trace;
  else if (l == "debug")
    lvl = spdlog::level::debug;
  else if (l == "info")
    lvl = spdlog::level::info;
  else if (l == "warn" || l == "warning")
    lvl = spdlog::level::warn;
  else if (l == "error")
    lvl = spdlog::level::err;
  else if (l == "off" || l == "none")
    lvl = spdlog::level::off;
  else
    return Status::InvalidArgument("unknown log level '" + std::string(level) +
                                   "' (use trace, debug, info, warn, error or off)");
  // Creating a logger under a name already registered throws; a second setup (tests, or a
  // command that re-reads its options) reuses the first logger instead.
  auto logger = spdlog::get("thaw");
  if (!logger) logger = spdlog::stderr_color_mt("thaw");
  logger->set_formatter(json_format.load() ? MakeJsonLogFormatter() : MakeLogFormatter());
  spdlog::set_default_logger(logger);
  spdlog::set_level(lvl);
  return Status::Ok();
}

}  // namespace thaw
