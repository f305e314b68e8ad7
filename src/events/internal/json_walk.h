// The JSON reader of the event parsers: parses one padded document with simdjson and walks it
// into Fields (see fields.h). simdjson stays behind this header, so that only json_walk.cc
// depends on its API (and on which of its implementations is compiled in).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "events/internal/fields.h"
#include "events/types.h"

namespace thaw::events::internal {

// Bytes simdjson may read past the end of a document (SIMDJSON_PADDING; checked in the .cc).
inline constexpr size_t kPadding = 64;

// A copy of `bytes` with capacity for the padding.
std::string PaddedCopy(std::string_view bytes);

// Hooks for the members that are not plain slots; only the top level has them.
struct TopHooks {
  // Called for each element of a "Records" array, in order, with the element's Fields, or
  // nullptr when the element is not an object. An error aborts the walk.
  std::function<Status(const Fields* record)> on_record;
  // Where the members of an object "detail" go (EventBridge); nullptr skips "detail".
  Fields* detail = nullptr;
};

// Parses `padded` (capacity() >= size() + kPadding) as one JSON document whose top level must
// be an object, walking it with `hooks` into `top`. Fails on trailing content. Parsers are
// reused per thread for documents up to a few MiB (see json_walk.cc).
//
// Errors carry a ParseErrorDetail: kBadJson for syntax (truncation, bad literals, invalid
// UTF-8, bad escapes in a string that is read), kUnknownShape when the document is not an
// object, kWrongType for a "Records" that is not an array or a "detail" that is not an object,
// kTooLarge past `max_document_bytes`.
Status WalkDocument(const std::string& padded, size_t max_document_bytes, Fields& top,
                    const TopHooks& hooks);

}  // namespace thaw::events::internal
