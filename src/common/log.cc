// Logging setup (see log.h).
#include "common/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <string>

#include "common/strings.h"

namespace thaw {

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
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v", spdlog::pattern_time_type::utc);
  spdlog::set_default_logger(logger);
  spdlog::set_level(lvl);
  return Status::Ok();
}

}  // namespace thaw
