// Escaping of untrusted text for terminals and logs (see terminal_escape.h).
#include "common/terminal_escape.h"

#include <cstdint>

namespace thaw {
namespace {

// Length of the well-formed UTF-8 sequence at the start of `s` (RFC 3629: no overlong forms, no
// surrogates, nothing past U+10FFFF) and its code point; 0 when the first byte does not start
// one.
size_t DecodeUtf8(std::string_view s, uint32_t* cp) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  auto cont = [&](size_t i) { return i < s.size() && (byte(i) & 0xC0) == 0x80; };
  unsigned char b0 = byte(0);
  size_t len;
  uint32_t min;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2, min = 0x80, *cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3, min = 0x800, *cp = b0 & 0x0F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4, min = 0x10000, *cp = b0 & 0x07;
  } else {
    return 0;  // ASCII is handled by the caller; 0x80-0xC1 and 0xF5-0xFF never start a sequence
  }
  for (size_t i = 1; i < len; ++i) {
    if (!cont(i)) return 0;
    *cp = (*cp << 6) | (byte(i) & 0x3F);
  }
  if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF)) return 0;
  return len;
}

// Valid code points that still change what a terminal shows beyond their own glyph.
bool IsDangerousCodePoint(uint32_t cp) {
  return (cp >= 0x80 && cp <= 0x9F) ||      // C1 controls (CSI, OSC, ...)
         cp == 0x061C ||                    // ARABIC LETTER MARK
         cp == 0x200E || cp == 0x200F ||    // LRM, RLM
         cp == 0x2028 || cp == 0x2029 ||    // line and paragraph separators
         (cp >= 0x202A && cp <= 0x202E) ||  // bidi embeddings and overrides
         (cp >= 0x2066 && cp <= 0x2069);    // bidi isolates
}

bool IsPlainAscii(unsigned char c) {
  return c >= 0x20 && c < 0x7F && c != '\\';
}

void AppendOctal(unsigned char c, std::string* out) {
  out->push_back('\\');
  out->push_back(static_cast<char>('0' + (c >> 6)));
  out->push_back(static_cast<char>('0' + ((c >> 3) & 7)));
  out->push_back(static_cast<char>('0' + (c & 7)));
}

void AppendEscapedAscii(unsigned char c, std::string* out) {
  switch (c) {
    case '\\':
      out->append("\\\\");
      return;
    case '\a':
      out->append("\\a");
      return;
    case '\b':
      out->append("\\b");
      return;
    case '\t':
      out->append("\\t");
      return;
    case '\n':
      out->append("\\n");
      return;
    case '\v':
      out->append("\\v");
      return;
    case '\f':
      out->append("\\f");
      return;
    case '\r':
      out->append("\\r");
      return;
    default:
      AppendOctal(c, out);  // ESC becomes \033, DEL \177
  }
}

}  // namespace

void AppendEscapedForTerminal(std::string_view text, std::string* out) {
  out->reserve(out->size() + text.size());
  size_t i = 0;
  while (i < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (IsPlainAscii(c)) {
      out->push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    if (c < 0x80) {
      AppendEscapedAscii(c, out);
      ++i;
      continue;
    }
    uint32_t cp = 0;
    size_t len = DecodeUtf8(text.substr(i), &cp);
    if (len == 0) {
      // Not UTF-8: escape this one byte and resynchronise on the next, so a broken sequence
      // cannot swallow the printable ASCII after it.
      AppendOctal(c, out);
      ++i;
      continue;
    }
    if (IsDangerousCodePoint(cp)) {
      for (size_t k = 0; k < len; ++k) AppendOctal(static_cast<unsigned char>(text[i + k]), out);
    } else {
      out->append(text.substr(i, len));
    }
    i += len;
  }
}

std::string EscapeForTerminal(std::string_view text) {
  std::string out;
  AppendEscapedForTerminal(text, &out);
  return out;
}

bool NeedsTerminalEscape(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (IsPlainAscii(c)) {
      ++i;
      continue;
    }
    if (c < 0x80) return true;
    uint32_t cp = 0;
    size_t len = DecodeUtf8(text.substr(i), &cp);
    if (len == 0 || IsDangerousCodePoint(cp)) return true;
    i += len;
  }
  return false;
}

}  // namespace thaw
