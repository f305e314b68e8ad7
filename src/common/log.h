// Logging setup. thaw logs through spdlog to stderr; this module owns its configuration so that
// every command sets it up the same way (`--log-level`).
//
// Never log secrets: credentials, signatures and session tokens are not passed to the logger
// anywhere; request logs name the operation, bucket, key and status only.
#pragma once

#include <string_view>

#include "common/status.h"

namespace thaw {

// Accepts trace, debug, info, warn (warning), error, off. Defaults to warn for CLI commands.
Status SetupLogging(std::string_view level);

}  // namespace thaw
