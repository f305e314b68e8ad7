// Logging setup (see log.h).
#include "common/log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <string>

#include "common/strings.h"
#include "common/terminal_escape.h"

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

}  // namespace

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
  logger->set_formatter(MakeLogFormatter());
  spdlog::set_default_logger(logger);
  spdlog::set_level(lvl);
  return Status::Ok();
}

}  // namespace thaw
