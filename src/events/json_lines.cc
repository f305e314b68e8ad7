// JSON lines: detection and line-by-line parsing (see json_lines.h).
#include "events/json_lines.h"

#include <nlohmann/json.hpp>

#include "events/message.h"

namespace thaw::events {
namespace {

bool IsBlank(std::string_view s) {
  return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

// Calls f(line_number, line) for each line that is not blank.
template <typename F>
void ForEachLine(std::string_view bytes, F&& f) {
  size_t start = 0;
  uint64_t number = 0;
  while (start < bytes.size()) {
    size_t end = bytes.find('\n', start);
    if (end == std::string_view::npos) end = bytes.size();
    ++number;
    std::string_view line = bytes.substr(start, end - start);
    if (!IsBlank(line) && !f(number, line)) return;
    start = end + 1;
  }
}

void Merge(Parsed& into, Parsed&& line, const Limits& limits) {
  for (Event& e : line.events) into.events.push_back(std::move(e));
  for (Ignored& i : line.ignored) {
    if (into.ignored.size() < limits.max_ignored_kept) into.ignored.push_back(std::move(i));
  }
  for (size_t r = 0; r < kIgnoreReasonCount; ++r) into.ignored_count[r] += line.ignored_count[r];
  into.records_seen += line.records_seen;
}

}  // namespace

bool LooksLikeJsonLines(std::string_view bytes) {
  size_t first = bytes.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || (bytes[first] != '{' && bytes[first] != '[')) {
    return false;
  }
  size_t end = bytes.find('\n', first);
  if (end == std::string_view::npos || IsBlank(bytes.substr(end))) return false;
  return nlohmann::json::accept(bytes.substr(first, end - first));
}

Result<Parsed> ParseJsonLines(std::string_view bytes, const Limits& limits) {
  if (bytes.size() > limits.max_input_bytes) {
    return ParseError(ParseErrorKind::kTooLarge, "JSON lines: " + std::to_string(bytes.size()) +
                                                     " bytes, more than " +
                                                     std::to_string(limits.max_input_bytes));
  }
  Parsed out;
  out.format = Format::kJsonLines;
  Status failure;
  ForEachLine(bytes, [&](uint64_t number, std::string_view line) {
    Result<Parsed> parsed = ParseMessage(line, limits);
    if (parsed.ok()) {
      Merge(out, std::move(*parsed), limits);
    } else if (ParseErrorKindOf(parsed.status()) == ParseErrorKind::kTooManyRecords) {
      failure = parsed.status();
      return false;
    } else {
      ++out.records_seen;
      ++out.ignored_count[static_cast<size_t>(IgnoreReason::kMalformed)];
      if (out.ignored.size() < limits.max_ignored_kept) {
        out.ignored.push_back({IgnoreReason::kMalformed, Format::kJsonLines,
                               "line " + std::to_string(number) + ": " + parsed.status().message(),
                               "", ""});
      }
    }
    if (out.records_seen > limits.max_records) {
      failure =
          ParseError(ParseErrorKind::kTooManyRecords,
                     "JSON lines: more than " + std::to_string(limits.max_records) + " records");
      return false;
    }
    return true;
  });
  if (!failure.ok()) return failure;
  return out;
}

}  // namespace thaw::events
