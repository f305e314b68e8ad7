// What upload tests share: MD5 checks computed independently of the code under test (an
// object's MD5 and S3's multipart ETag, "<md5 of the parts' md5s>-<parts>") and a string as a
// multipart upload's random-access source. Header-only: the suites that use it link OpenSSL
// through thaw_s3.
#pragma once

#include <openssl/evp.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>

#include "common/strings.h"

namespace thaw::testing {

// The raw 16-byte digest.
inline std::string Md5(std::string_view data) {
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), d, &n, EVP_md5(), nullptr);
  return std::string(reinterpret_cast<char*>(d), n);
}

inline std::string Md5Hex(std::string_view data) {
  return HexEncode(Md5(data));
}

// With S3's quotes, as HEAD shows it.
inline std::string MultipartEtag(const std::string& data, uint64_t part_size) {
  std::string md5s;
  int parts = 0;
  for (uint64_t off = 0; off < data.size(); off += part_size, ++parts) {
    md5s += Md5(std::string_view(data).substr(off, part_size));
  }
  return "\"" + Md5Hex(md5s) + "-" + std::to_string(parts) + "\"";
}

// MultipartUploadOptions::read_at over `data` (which must outlive it).
inline std::function<int64_t(uint64_t, char*, size_t)> ReadAtString(const std::string& data) {
  return [&data](uint64_t off, char* buf, size_t len) -> int64_t {
    if (off >= data.size()) return 0;
    size_t n = std::min<size_t>(len, data.size() - off);
    std::memcpy(buf, data.data() + off, n);
    return static_cast<int64_t>(n);
  };
}

}  // namespace thaw::testing
