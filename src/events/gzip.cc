// Bounded gzip inflation. The common case, one gzip member whose trailer states a plausible size
// within the limit (every CloudTrail log file), is inflated in one call by libdeflate, which
// is 2-3x faster than zlib and checks the CRC with PCLMUL: zlib's inflate and crc32 were a
// third of a CloudTrail log-file parse (bench/events). Everything else, and any failure of the
// fast path, goes through zlib, whose error reporting (truncated, corrupt, trailing garbage,
// over the limit) the tests pin down. In the zlib path the output grows by doubling, but never
// past the caller's limit plus one byte: producing that extra byte is how an over-limit stream
// is detected without inflating the rest of it.
#include "events/gzip.h"

#include <libdeflate.h>
#include <zlib.h>

#include <algorithm>
#include <climits>
#include <memory>
#include <optional>

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

// The uncompressed size a single-member stream's trailer states (ISIZE, the length mod 2^32),
// when plausible for its compressed size (deflate expands at most ~1032:1). A hint only:
// hostile input may lie, and every use below stays within the caller's limit.
std::optional<size_t> StatedSize(std::string_view gzip) {
  if (gzip.size() < 18) return std::nullopt;
  const auto* t = reinterpret_cast<const unsigned char*>(gzip.data() + gzip.size() - 4);
  size_t isize = t[0] | (t[1] << 8) | (t[2] << 16) | (static_cast<size_t>(t[3]) << 24);
  if (isize < gzip.size() / 2 || isize / 1100 > gzip.size()) return std::nullopt;
  return isize;
}

struct DecompressorDeleter {
  void operator()(libdeflate_decompressor* d) const { libdeflate_free_decompressor(d); }
};

// One call into libdeflate for a single member of the stated size; nullopt whenever anything
// is not exactly as expected (the zlib path then decides what the input is).
bool InflateWhole(std::string_view gzip, size_t size, size_t padding, std::string& out) {
  thread_local std::unique_ptr<libdeflate_decompressor, DecompressorDeleter> decompressor(
      libdeflate_alloc_decompressor());
  if (!decompressor) return false;
  out.reserve(size + padding);
  // A reused buffer keeps its old size: resizing from there zero-fills only the difference
  // (zero-filling 5 MB per log file was ~7% of a CloudTrail parse).
  out.resize(size);
  size_t in_used = 0;
  size_t produced = 0;
  libdeflate_result r = libdeflate_gzip_decompress_ex(decompressor.get(), gzip.data(), gzip.size(),
                                                      out.data(), out.size(), &in_used, &produced);
  if (r != LIBDEFLATE_SUCCESS || produced != size) return false;
  if (in_used < gzip.size() && !AllZero(gzip.substr(in_used))) return false;
  return true;
}

}  // namespace

bool IsGzip(std::string_view bytes) {
  return bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
         static_cast<unsigned char>(bytes[1]) == 0x8b;
}

Result<std::string> Inflate(std::string_view gzip, size_t max_output_bytes, size_t padding_bytes) {
  std::string out;
  THAW_RETURN_IF_ERROR(InflateInto(gzip, max_output_bytes, padding_bytes, out));
  return out;
}

Status InflateInto(std::string_view gzip, size_t max_output_bytes, size_t padding_bytes,
                   std::string& out) {
  if (!IsGzip(gzip)) return ParseError(ParseErrorKind::kBadGzip, "gzip: no gzip header");
  const size_t hard_cap = max_output_bytes + 1;
  std::optional<size_t> stated = StatedSize(gzip);
  if (stated && *stated <= max_output_bytes) {
    if (InflateWhole(gzip, *stated, padding_bytes, out)) return Status::Ok();
  }

  Inflater inflater;
  if (!inflater.Init()) return Status::Internal("gzip: inflateInit2 failed");
  z_stream& zs = inflater.zs();
  // Sized once when the trailer gives a size (doubling copied and zeroed the buffer several
  // times), else from the typical 10-20x expansion of JSON; the padding is allocated with it so
  // the final size leaves room without a reallocation.
  size_t initial = stated ? *stated + 1 : std::max<size_t>(4096, gzip.size() * 8);
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
  return Status::Ok();
}

}  // namespace thaw::events
