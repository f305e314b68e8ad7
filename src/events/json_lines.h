// JSON lines (one JSON message per line, e.g. `thaw sim --events-dir`'s eventbridge.jsonl and
// s3-notifications.jsonl, or EventBridge archives exported by a script): a format of its own.
// Each non-empty line is read as ParseMessage reads a message body, and the results are merged.
// A line that cannot be read is counted and kept as a malformed record ("line N: why"), and the
// other lines still count: one bad line does not cost the whole file.
//
// Pure functions, thread-safe.
#pragma once

#include <string_view>

#include "common/status.h"
#include "events/types.h"

namespace thaw::events {

// True when `bytes` holds more than one JSON value, one per line: the first non-empty line is a
// complete JSON object or array by itself and non-blank text follows it. A pretty-printed
// document (whose first line is an unfinished "{") and a single-line document are not.
bool LooksLikeJsonLines(std::string_view bytes);

// Parses each non-empty line (see above). Fails only for input over the limits (size, records).
Result<Parsed> ParseJsonLines(std::string_view bytes, const Limits& limits = {});

}  // namespace thaw::events
