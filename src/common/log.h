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
#include <string>
#include <string_view>

#include "common/status.h"

namespace thaw {

// Accepts trace, debug, info, warn (warning), error, off. Defaults to warn for CLI commands.
Status SetupLogging(std::string_view level);

// "text" (the default) or "json". Applies to the logger set up already and to later setups.
// json: one object per line, {"time":"2026-12-04T09:00:00.000Z","level":"info","msg":"...",
// "pid":N,"thread":N}, for CloudWatch Logs and journald. The message is a JSON string in ASCII
// (\uXXXX escapes; bytes that are not UTF-8 become U+FFFD), so a key holding a newline or ESC
// stays inside its line and off the terminal, as with the text format's escaping.
Status SetLogFormat(std::string_view format);

// Whether SetLogFormat("json") is in force.
bool JsonLogFormat();

// A line thaw writes itself, outside the logger (an error report, `thaw serve: stopping`, the
// `mounted ...` line), with its "\n": `text` as it is in the text format; in the json format an
// object like the logger's, {"time":...,"level":LEVEL,"msg":TEXT,"pid":N}, so that every line
// a `--log-format json` process writes to stderr or stdout is one JSON object. `text` is
// escaped in json (as log messages are) and left alone in text (callers escape what they quote).
std::string LogLine(std::string_view level, std::string_view text);

// The formatter SetupLogging installs: "<UTC time> <level> <escaped message>".
std::unique_ptr<spdlog::formatter> MakeLogFormatter();
// The json one.
std::unique_ptr<spdlog::formatter> MakeJsonLogFormatter();

}  // namespace thaw
