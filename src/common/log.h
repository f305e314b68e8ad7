// Logging setup. thaw logs through spdlog to stderr; this module owns its configuration so that
// every command sets it up the same way (`--log-level`).
//
// Never log secrets: credentials, signatures and session tokens are not passed to the logger
// anywhere; request logs name the operation, bucket, key and status only.
//
// Log messages carry untrusted bytes (object keys, S3 error messages, event fields), so the
// formatter escapes every message with EscapeForTerminal (common/terminal_escape.h): a key
// holding "\n" cannot forge a second log line and one holding ESC cannot drive the terminal,
// whichever call site logs it.
#pragma once

#include <spdlog/formatter.h>

#include <memory>
#include <string_view>

#include "common/status.h"

namespace thaw {

// Accepts trace, debug, info, warn (warning), error, off. Defaults to warn for CLI commands.
Status SetupLogging(std::string_view level);

// The formatter SetupLogging installs: "<UTC time> <level> <escaped message>".
std::unique_ptr<spdlog::formatter> MakeLogFormatter();

}  // namespace thaw
