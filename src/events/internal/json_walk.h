// simdjson glue: parsing a padded buffer with a reused parser, walking objects into Fields
// (see fields.h), and turning simdjson's error codes into thaw's typed parse errors.
//
// Only src/events/*.cc include this header; simdjson's exception-throwing conveniences are
// compiled out (SIMDJSON_EXCEPTIONS=0) so that every access has to look at its error code.
#pragma once

#ifndef SIMDJSON_EXCEPTIONS
#define SIMDJSON_EXCEPTIONS 0
#endif
#include <simdjson.h>

#include <functional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "events/internal/fields.h"
#include "events/types.h"

namespace thaw::events::internal {

namespace od = simdjson::ondemand;

inline constexpr size_t kPadding = simdjson::SIMDJSON_PADDING;

// A copy of `bytes` with the padding simdjson reads past the end.
std::string PaddedCopy(std::string_view bytes);

// The error for a simdjson failure while reading `what` ("Records", "document"...).
Status JsonError(simdjson::error_code error, std::string_view what);

// Hooks for the members that are not plain slots; only the top-level walk has them.
struct TopHooks {
  // Called for each element of a "Records" array, in order. An error aborts the walk.
  std::function<Status(od::value& record)> on_record;
  // Where the members of an object "detail" go (EventBridge); nullptr skips "detail".
  Fields* detail = nullptr;
};

// Walks one object, filling `out`. With hooks (top level) "Records" and "detail" are handled
// too; without, they are skipped like any unknown member.
Status WalkObject(od::object& object, Fields& out, const TopHooks* hooks);
// Same for a value that should be an object; returns false in *is_object (and OK) when the
// value is of another type, leaving it to the iterator to skip.
Status WalkValue(od::value& value, Fields& out, bool* is_object);

// Parses `padded` (size bytes; capacity() >= size + kPadding) as one JSON document whose top
// level must be an object, walking it with `hooks` into `top`. Fails on trailing content.
// Parsers are reused per thread for documents up to a few MiB (see json_walk.cc).
Status WalkDocument(const std::string& padded, size_t max_document_bytes, Fields& top,
                    const TopHooks& hooks);

}  // namespace thaw::events::internal
