// MD5 checks for upload tests, computed independently of the code under test: an object's MD5
// and S3's multipart ETag ("<md5 of the parts' md5s>-<parts>"). Header-only: the suites that use
// it link OpenSSL through thaw_s3.
#pragma once

#include <openssl/evp.h>

#include <cstdint>
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

}  // namespace thaw::testing
