// Digest implementations: OpenSSL EVP for MD5/SHA, zlib for CRC32, SSE4.2 (else slicing-by-8
// tables) for CRC32C, slicing-by-8 for CRC64/NVME (reflected polynomials 0x82F63B78 and
// 0x9A6C9329AC4BC9B5).
#include "sim/checksums.h"

#include <openssl/evp.h>
#include <zlib.h>

#include <array>
#include <cstring>

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

// Slicing-by-8 tables: t[0] is the byte-at-a-time table, t[k][i] the CRC of byte i followed by k
// zero bytes, so 8 input bytes take 8 independent lookups instead of 8 dependent steps.
template <typename T, T kPoly>
const std::array<std::array<T, 256>, 8>& SliceTables() {
  static const std::array<std::array<T, 256>, 8> tables = [] {
    std::array<std::array<T, 256>, 8> t{};
    for (unsigned i = 0; i < 256; ++i) {
      T c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
      t[0][i] = c;
    }
    for (int k = 1; k < 8; ++k) {
      for (unsigned i = 0; i < 256; ++i) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xff];
    }
    return t;
  }();
  return tables;
}

// Reflected CRC without the init/final inversion, slicing-by-8 (little-endian loads: x86, ARM).
template <typename T, T kPoly>
T ReflectedCrcUpdate(T crc, const unsigned char* p, size_t n) {
  const auto& t = SliceTables<T, kPoly>();
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    v ^= static_cast<uint64_t>(crc);
    crc = t[7][v & 0xff] ^ t[6][(v >> 8) & 0xff] ^ t[5][(v >> 16) & 0xff] ^ t[4][(v >> 24) & 0xff] ^
          t[3][(v >> 32) & 0xff] ^ t[2][(v >> 40) & 0xff] ^ t[1][(v >> 48) & 0xff] ^ t[0][v >> 56];
    p += 8;
    n -= 8;
  }
  for (; n > 0; --n, ++p) crc = t[0][(crc ^ *p) & 0xff] ^ (crc >> 8);
  return crc;
}

constexpr uint32_t kCrc32cPoly = 0x82F63B78u;
constexpr uint64_t kCrc64NvmePoly = 0x9A6C9329AC4BC9B5ull;

#if defined(__x86_64__)
// CRC32C is the polynomial of SSE4.2's crc32 instruction (8 bytes per instruction).
__attribute__((target("sse4.2"))) uint32_t Crc32cHardware(uint32_t crc, const unsigned char* p,
                                                          size_t n) {
  uint64_t c = crc;
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    c = __builtin_ia32_crc32di(c, v);
    p += 8;
    n -= 8;
  }
  uint32_t c32 = static_cast<uint32_t>(c);
  for (; n > 0; --n, ++p) c32 = __builtin_ia32_crc32qi(c32, *p);
  return c32;
}
#endif

uint32_t Crc32cUpdate(uint32_t crc, const unsigned char* p, size_t n) {
#if defined(__x86_64__)
  static const bool hardware = __builtin_cpu_supports("sse4.2");
  if (hardware) return Crc32cHardware(crc, p, n);
#endif
  return ReflectedCrcUpdate<uint32_t, kCrc32cPoly>(crc, p, n);
}

class Crc32cDigest : public Digest {
 public:
  void Update(std::string_view data) override {
    crc_ = Crc32cUpdate(crc_, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  }
  std::string Finish() override { return BigEndian(~crc_, 4); }

 private:
  uint32_t crc_ = ~0u;
};

class Crc64NvmeDigest : public Digest {
 public:
  void Update(std::string_view data) override {
    crc_ = ReflectedCrcUpdate<uint64_t, kCrc64NvmePoly>(
        crc_, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  }
  std::string Finish() override { return BigEndian(~crc_, 8); }

 private:
  uint64_t crc_ = ~0ull;
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
      return std::make_unique<Crc32cDigest>();
    case DigestKind::kCrc64Nvme:
      return std::make_unique<Crc64NvmeDigest>();
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
