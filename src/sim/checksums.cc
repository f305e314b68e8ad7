// Digest implementations: OpenSSL EVP for MD5/SHA, zlib for CRC32, tables for CRC32C and
// CRC64/NVME (reflected polynomials 0x82F63B78 and 0x9A6C9329AC4BC9B5).
#include "sim/checksums.h"

#include <openssl/evp.h>
#include <zlib.h>

#include <array>

#include "common/strings.h"

namespace thaw::sim {
namespace {

class EvpDigest : public Digest {
 public:
  explicit EvpDigest(const EVP_MD* md) : ctx_(EVP_MD_CTX_new()) {
    EVP_DigestInit_ex(ctx_, md, nullptr);
  }
  ~EvpDigest() override { EVP_MD_CTX_free(ctx_); }
  void Update(std::string_view data) override { EVP_DigestUpdate(ctx_, data.data(), data.size()); }
  std::string Finish() override {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_, out, &len);
    return std::string(reinterpret_cast<char*>(out), len);
  }

 private:
  EVP_MD_CTX* ctx_;
};

std::string BigEndian(uint64_t v, int bytes) {
  std::string out(bytes, '\0');
  for (int i = bytes - 1; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return out;
}

class Crc32Digest : public Digest {
 public:
  void Update(std::string_view data) override {
    crc_ = crc32_z(crc_, reinterpret_cast<const Bytef*>(data.data()), data.size());
  }
  std::string Finish() override { return BigEndian(crc_, 4); }

 private:
  uLong crc_ = crc32_z(0, nullptr, 0);
};

template <typename T, T kPoly>
const std::array<T, 256>& ReflectedTable() {
  static const std::array<T, 256> table = [] {
    std::array<T, 256> t{};
    for (unsigned i = 0; i < 256; ++i) {
      T c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  return table;
}

// Reflected CRC with init ~0 and final xor ~0 (both CRC32C and CRC64/NVME are of this shape).
template <typename T, T kPoly>
class ReflectedCrc : public Digest {
 public:
  void Update(std::string_view data) override {
    const auto& table = ReflectedTable<T, kPoly>();
    for (unsigned char b : data) crc_ = table[(crc_ ^ b) & 0xff] ^ (crc_ >> 8);
  }
  std::string Finish() override { return BigEndian(~crc_, sizeof(T)); }

 private:
  T crc_ = ~T{0};
};

}  // namespace

std::optional<DigestKind> ParseChecksumName(std::string_view name) {
  std::string n = ToLower(name);
  if (n == "crc32") return DigestKind::kCrc32;
  if (n == "crc32c") return DigestKind::kCrc32c;
  if (n == "crc64nvme") return DigestKind::kCrc64Nvme;
  if (n == "sha1") return DigestKind::kSha1;
  if (n == "sha256") return DigestKind::kSha256;
  return std::nullopt;
}

std::string ChecksumName(DigestKind kind) {
  switch (kind) {
    case DigestKind::kMd5:
      return "md5";
    case DigestKind::kSha256:
      return "sha256";
    case DigestKind::kSha1:
      return "sha1";
    case DigestKind::kCrc32:
      return "crc32";
    case DigestKind::kCrc32c:
      return "crc32c";
    case DigestKind::kCrc64Nvme:
      return "crc64nvme";
  }
  return "";
}

std::unique_ptr<Digest> MakeDigest(DigestKind kind) {
  switch (kind) {
    case DigestKind::kMd5:
      return std::make_unique<EvpDigest>(EVP_md5());
    case DigestKind::kSha256:
      return std::make_unique<EvpDigest>(EVP_sha256());
    case DigestKind::kSha1:
      return std::make_unique<EvpDigest>(EVP_sha1());
    case DigestKind::kCrc32:
      return std::make_unique<Crc32Digest>();
    case DigestKind::kCrc32c:
      return std::make_unique<ReflectedCrc<uint32_t, 0x82F63B78u>>();
    case DigestKind::kCrc64Nvme:
      return std::make_unique<ReflectedCrc<uint64_t, 0x9A6C9329AC4BC9B5ull>>();
  }
  return nullptr;
}

std::string DigestOf(DigestKind kind, std::string_view data) {
  auto d = MakeDigest(kind);
  d->Update(data);
  return d->Finish();
}

std::string Base64Encode(std::string_view bytes) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(v >> s) & 63];
  }
  if (i + 1 == bytes.size()) {
    uint32_t v = uint8_t(bytes[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  std::string_view t = Trim(text);
  while (!t.empty() && t.back() == '=') t.remove_suffix(1);
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : t) {
    int v = value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

}  // namespace thaw::sim
