// RFC 2047 encoded-words in user metadata (see meta_encoding.h).
#include "sim/meta_encoding.h"

#include <optional>

#include "common/strings.h"
#include "sim/checksums.h"

namespace thaw::sim {
namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> DecodeQ(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '_') {
      out += ' ';
    } else if (c == '=') {
      if (i + 2 >= text.size()) return std::nullopt;
      int hi = HexDigit(text[i + 1]), lo = HexDigit(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

// ISO-8859-1 bytes as UTF-8.
std::string Latin1ToUtf8(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else {
      out += static_cast<char>(0xC0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3F));
    }
  }
  return out;
}

// One encoded-word at the start of `s` ("=?charset?enc?text?="): its decoded text and length.
std::optional<std::pair<std::string, size_t>> EncodedWord(std::string_view s) {
  if (!StartsWith(s, "=?")) return std::nullopt;
  size_t q1 = s.find('?', 2);
  if (q1 == std::string_view::npos || q1 + 2 >= s.size() || s[q1 + 2] != '?') {
    return std::nullopt;
  }
  size_t end = s.find("?=", q1 + 3);
  if (end == std::string_view::npos) return std::nullopt;
  std::string charset = ToLower(s.substr(2, q1 - 2));
  char enc = s[q1 + 1];
  std::string_view text = s.substr(q1 + 3, end - (q1 + 3));
  std::optional<std::string> raw;
  if (enc == 'B' || enc == 'b') {
    raw = Base64Decode(text);
  } else if (enc == 'Q' || enc == 'q') {
    raw = DecodeQ(text);
  }
  if (!raw) return std::nullopt;
  if (charset == "utf-8" || charset == "us-ascii") return std::make_pair(*raw, end + 2);
  if (charset == "iso-8859-1") return std::make_pair(Latin1ToUtf8(*raw), end + 2);
  return std::nullopt;
}

}  // namespace

std::string DecodeMetadataValue(std::string_view value) {
  std::string out;
  std::string pending_space;  // whitespace after an encoded-word, dropped if another follows
  bool after_word = false;
  size_t i = 0;
  while (i < value.size()) {
    if (auto word = EncodedWord(value.substr(i))) {
      if (!after_word) out += pending_space;
      pending_space.clear();
      out += word->first;
      i += word->second;
      after_word = true;
      continue;
    }
    char c = value[i++];
    if (after_word && (c == ' ' || c == '\t')) {
      pending_space += c;
      continue;
    }
    out += pending_space;
    pending_space.clear();
    after_word = false;
    out += c;
  }
  return out + pending_space;
}

std::string EncodeMetadataValue(std::string_view value) {
  for (unsigned char c : value) {
    if ((c < 0x20 && c != '\t') || c >= 0x7F) return "=?UTF-8?B?" + Base64Encode(value) + "?=";
  }
  return std::string(value);
}

}  // namespace thaw::sim
