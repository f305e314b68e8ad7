// Random identifiers (see random_id.h).
#include "common/random_id.h"

#include <random>

namespace thaw {
namespace {

std::mt19937_64& Generator() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  return rng;
}

}  // namespace

std::string RandomChars(size_t n, std::string_view alphabet) {
  std::uniform_int_distribution<size_t> pick(0, alphabet.size() - 1);
  std::string s(n, '0');
  for (char& c : s) c = alphabet[pick(Generator())];
  return s;
}

std::string RandomHex(size_t n) {
  return RandomChars(n, "0123456789abcdef");
}

std::string RandomUuid() {
  std::string h = RandomHex(32);
  h[12] = '4';                        // version 4
  h[16] = "89ab"[Generator()() & 3];  // RFC 4122 variant
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20);
}

std::string RandomBytes(size_t n) {
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(Generator()() & 0xff);
  return s;
}

}  // namespace thaw
