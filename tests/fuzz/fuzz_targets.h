// The bodies of the event parsers' fuzz targets, shared by the libFuzzer binaries
// (<parser>_fuzz.cc, built with clang when THAW_FUZZ=ON) and by the corpus regression test in
// tests/events/corpus_test.cc, which runs them over tests/fuzz/corpus/<parser>/ with g++.
//
// Besides "no crash, no sanitizer report", each target checks invariants that hold for any
// input; THAW_FUZZ_CHECK reports a violation (abort() in a fuzzer, a test failure in gtest).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "events/access_log.h"
#include "events/gzip.h"
#include "events/message.h"

#ifndef THAW_FUZZ_CHECK
#define THAW_FUZZ_CHECK(cond) \
  do {                        \
    if (!(cond)) abort();     \
  } while (0)
#endif

namespace thaw::events::fuzz {

// Small limits so that the fuzzer explores the limit paths and stays fast.
inline Limits FuzzLimits() {
  Limits l;
  l.max_input_bytes = 1u << 20;
  l.max_document_bytes = 4u << 20;
  l.max_records = 10000;
  l.max_line_bytes = 4096;
  l.max_ignored_kept = 50;
  return l;
}

// What holds for every successful parse.
inline void CheckParsed(const Parsed& p, const Limits& limits) {
  THAW_FUZZ_CHECK(p.ignored.size() <= limits.max_ignored_kept);
  THAW_FUZZ_CHECK(p.ignored.size() <= p.IgnoredTotal());
  THAW_FUZZ_CHECK(p.records_seen <= limits.max_records);
  for (const Event& e : p.events) {
    THAW_FUZZ_CHECK(!e.bucket.empty());
    THAW_FUZZ_CHECK(!e.key.empty());
    THAW_FUZZ_CHECK(!e.alternate_key || *e.alternate_key != e.key);
  }
  for (const SqsMessage& m : p.sqs_messages) {
    THAW_FUZZ_CHECK(m.status.ok() || ParseErrorKindOf(m.status).has_value());
  }
}

inline void CheckError(const Status& s) {
  THAW_FUZZ_CHECK(ParseErrorKindOf(s).has_value());
}

template <typename Fn>
void RunParser(const uint8_t* data, size_t size, Fn parse, bool one_result_per_record) {
  const Limits limits = FuzzLimits();
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  Result<Parsed> p = parse(bytes, limits);
  if (!p.ok()) {
    CheckError(p.status());
    return;
  }
  CheckParsed(*p, limits);
  if (one_result_per_record) {
    THAW_FUZZ_CHECK(p->events.size() + p->IgnoredTotal() == p->records_seen);
  }
}

inline void FuzzMessage(const uint8_t* data, size_t size) {
  RunParser(
      data, size, [](std::string_view b, const Limits& l) { return ParseMessage(b, l); }, false);
}

inline void FuzzCloudTrailLog(const uint8_t* data, size_t size) {
  RunParser(
      data, size, [](std::string_view b, const Limits& l) { return ParseCloudTrailLog(b, l); },
      true);
}

inline void FuzzCloudTrailEvent(const uint8_t* data, size_t size) {
  RunParser(
      data, size, [](std::string_view b, const Limits& l) { return ParseCloudTrailEvent(b, l); },
      true);
}

inline void FuzzS3Notification(const uint8_t* data, size_t size) {
  RunParser(
      data, size, [](std::string_view b, const Limits& l) { return ParseS3Notification(b, l); },
      false);
}

inline void FuzzAccessLog(const uint8_t* data, size_t size) {
  RunParser(
      data, size, [](std::string_view b, const Limits& l) { return ParseAccessLog(b, l); }, true);
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string_view first_line = text.substr(0, text.find('\n'));
  Result<AccessLogRecord> r = ParseAccessLogLine(first_line);
  if (r.ok()) {
    THAW_FUZZ_CHECK(r->field_count >= 11);
  } else {
    CheckError(r.status());
  }
  (void)ParseAccessLogTime(first_line.substr(0, 28));
}

inline void FuzzGzip(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  constexpr size_t kMax = 1u << 20;
  Result<std::string> out = Inflate(bytes, kMax);
  if (out.ok()) {
    THAW_FUZZ_CHECK(out->size() <= kMax);
    THAW_FUZZ_CHECK(out->capacity() >= out->size() + 64);
  } else {
    CheckError(out.status());
  }
}

}  // namespace thaw::events::fuzz
