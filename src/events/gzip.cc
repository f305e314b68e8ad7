// Bounded gzip inflation with zlib. The output grows by doubling, but never past the caller's
// limit plus one byte: producing that extra byte is how an over-limit stream is detected without
// inflating the rest of it.
#include "events/gzip.h"

#include <zlib.h>

#include <algorithm>
#include <climits>

#include "events/types.h"

namespace thaw::events {
namespace {

// RAII for a z_stream set up by inflateInit2.
class Inflater {
 public:
  Inflater() = default;
  ~Inflater() {
    if (initialised_) inflateEnd(&zs_);
  }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  bool Init() {
    // 16 + MAX_WBITS: accept the gzip wrapper only (zlib checks the CRC32 and length trailer).
    initialised_ = inflateInit2(&zs_, 16 + MAX_WBITS) == Z_OK;
    return initialised_;
  }
  z_stream& zs() { return zs_; }

 private:
  z_stream zs_{};
  bool initialised_ = false;
};

bool AllZero(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == '\0'; });
}

}  // namespace

bool IsGzip(std::string_view bytes) {
  return bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
         static_cast<unsigned char>(bytes[1]) == 0x8b;
}

Result<std::string> Inflate(std::string_view gzip, size_t max_output_bytes, size_t padding_bytes) {
  if (!IsGzip(gzip)) return ParseError(ParseErrorKind::kBadGzip, "gzip: no gzip header");
  Inflater inflater;
  if (!inflater.Init()) return Status::Internal("gzip: inflateInit2 failed");
  z_stream& zs = inflater.zs();

  // The output buffer is sized once when possible: growing it by doubling copied and zeroed
  // each CloudTrail file several times (a tenth of a log-file parse). A single-member stream
  // ends with ISIZE, its length mod 2^32: a hint only (hostile input may lie; the limit below
  // still holds), used when plausible. Otherwise compressed JSON typically expands 10-20x.
  // The padding is allocated with it so the final size leaves room without a reallocation.
  const size_t hard_cap = max_output_bytes + 1;
  size_t initial = std::max<size_t>(4096, gzip.size() * 8);
  if (gzip.size() >= 18) {
    const auto* t = reinterpret_cast<const unsigned char*>(gzip.data() + gzip.size() - 4);
    size_t isize = t[0] | (t[1] << 8) | (t[2] << 16) | (static_cast<size_t>(t[3]) << 24);
    if (isize >= gzip.size() / 2 && isize / 1100 <= gzip.size()) initial = isize + 1;
  }
  std::string out;
  out.reserve(std::min(hard_cap, initial) + padding_bytes);
  out.resize(std::min(hard_cap, initial));
  size_t produced = 0;
  size_t consumed = 0;  // input bytes handed to zlib so far

  for (;;) {
    if (zs.avail_in == 0 && consumed < gzip.size()) {
      size_t chunk = std::min<size_t>(gzip.size() - consumed, UINT_MAX);
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gzip.data() + consumed));
      zs.avail_in = static_cast<uInt>(chunk);
      consumed += chunk;
    }
    if (produced == out.size()) {
      if (out.size() >= hard_cap) {
        return ParseError(
            ParseErrorKind::kTooLarge,
            "gzip: inflates to more than " + std::to_string(max_output_bytes) + " bytes");
      }
      out.resize(std::min(hard_cap, out.size() * 2));
    }
    size_t room = std::min<size_t>(out.size() - produced, UINT_MAX);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    zs.avail_out = static_cast<uInt>(room);
    int rc = inflate(&zs, Z_NO_FLUSH);
    produced += room - zs.avail_out;

    if (rc == Z_STREAM_END) {
      size_t rest_offset = consumed - zs.avail_in;
      std::string_view rest = gzip.substr(rest_offset);
      if (rest.empty() || AllZero(rest)) break;  // zero padding: as gzip(1), tolerate it
      if (!IsGzip(rest)) {
        return ParseError(ParseErrorKind::kBadGzip, "gzip: trailing garbage after the stream");
      }
      if (inflateReset(&zs) != Z_OK) return Status::Internal("gzip: inflateReset failed");
      continue;  // the next member starts where zs.next_in points
    }
    if (rc == Z_BUF_ERROR) {
      // No progress possible: either the output is full (loop grows it) or the input ran out
      // before the end of the stream.
      if (zs.avail_out != 0 && zs.avail_in == 0 && consumed == gzip.size()) {
        return ParseError(ParseErrorKind::kBadGzip, "gzip: truncated stream");
      }
      continue;
    }
    if (rc == Z_OK) {
      if (zs.avail_in == 0 && consumed == gzip.size() && zs.avail_out != 0) {
        return ParseError(ParseErrorKind::kBadGzip, "gzip: truncated stream");
      }
      continue;
    }
    if (rc == Z_MEM_ERROR) return ParseError(ParseErrorKind::kTooLarge, "gzip: out of memory");
    std::string why = zs.msg ? zs.msg : "corrupt data";
    return ParseError(ParseErrorKind::kBadGzip, "gzip: " + why);
  }
  if (produced > max_output_bytes) {
    return ParseError(ParseErrorKind::kTooLarge,
                      "gzip: inflates to more than " + std::to_string(max_output_bytes) + " bytes");
  }
  out.resize(produced);
  if (out.capacity() < produced + padding_bytes) out.reserve(produced + padding_bytes);
  return out;
}

}  // namespace thaw::events
