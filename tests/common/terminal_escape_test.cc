// Tests for common/terminal_escape: every byte a terminal could act on is escaped (C0, DEL, C1
// raw and UTF-8, broken UTF-8, bidi controls), printable UTF-8 passes, and the escaping is
// unambiguous: decoding it gives back the exact input bytes.
#include "common/terminal_escape.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace thaw {
namespace {

// Inverse of EscapeForTerminal, to prove it loses nothing.
std::optional<std::string> Unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') {
      out.push_back(s[i]);
      continue;
    }
    if (++i == s.size()) return std::nullopt;
    switch (s[i]) {
      case '\\':
        out.push_back('\\');
        break;
      case 'a':
        out.push_back('\a');
        break;
      case 'b':
        out.push_back('\b');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'v':
        out.push_back('\v');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'r':
        out.push_back('\r');
        break;
      default:
        if (i + 3 > s.size()) return std::nullopt;
        int v = 0;
        for (int k = 0; k < 3; ++k) {
          char d = s[i + k];
          if (d < '0' || d > '7') return std::nullopt;
          v = v * 8 + (d - '0');
        }
        out.push_back(static_cast<char>(v));
        i += 2;
    }
  }
  return out;
}

bool HasRawControl(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7F) return true;
  }
  return false;
}

TEST(EscapeForTerminal, PrintableAsciiAndUtf8PassUnchanged) {
  for (std::string_view s :
       {"", "plain/key-1_2.~txt", "a b \"quoted\" 'single' $(rm -rf) `x`", "été/naïve",
        "日本語/ファイル", "\xF0\x9F\x98\x80 emoji", "\xEF\xBF\xBD", "\xF4\x8F\xBF\xBF"}) {
    EXPECT_EQ(EscapeForTerminal(s), s) << s;
    EXPECT_FALSE(NeedsTerminalEscape(s)) << s;
  }
}

TEST(EscapeForTerminal, CommonControlsGetLetterEscapes) {
  EXPECT_EQ(EscapeForTerminal("a\nb"), "a\\nb");
  EXPECT_EQ(EscapeForTerminal("\t\r\a\b\v\f"), "\\t\\r\\a\\b\\v\\f");
  EXPECT_EQ(EscapeForTerminal("C:\\dir"), "C:\\\\dir");
}

TEST(EscapeForTerminal, OtherControlsGetOctal) {
  EXPECT_EQ(EscapeForTerminal("\x1B[2Jgone"), "\\033[2Jgone");
  EXPECT_EQ(EscapeForTerminal(std::string("a\0b", 3)), "a\\000b");
  EXPECT_EQ(EscapeForTerminal("\x7F"), "\\177");
  EXPECT_EQ(EscapeForTerminal("\x1F"), "\\037");
  EXPECT_EQ(EscapeForTerminal("\x1B]0;title\x07"), "\\033]0;title\\a");
}

TEST(EscapeForTerminal, C1ControlsRawAndEncoded) {
  EXPECT_EQ(EscapeForTerminal("\x9B"
                              "31m"),
            "\\23331m");  // raw CSI
  EXPECT_EQ(EscapeForTerminal("\xC2\x9B"
                              "31m"),
            "\\302\\23331m");  // U+009B in UTF-8
  EXPECT_EQ(EscapeForTerminal("\xC2\x80\xC2\x9F"), "\\302\\200\\302\\237");
  // U+00A0 is the first code point past C1: printable.
  EXPECT_EQ(EscapeForTerminal("\xC2\xA0"), "\xC2\xA0");
}

TEST(EscapeForTerminal, InvalidUtf8BytesAreEscapedOneByOne) {
  EXPECT_EQ(EscapeForTerminal("\xFF"), "\\377");
  EXPECT_EQ(EscapeForTerminal("\xC3"), "\\303");                             // truncated at the end
  EXPECT_EQ(EscapeForTerminal("\xC3x"), "\\303x");                           // truncated mid-string
  EXPECT_EQ(EscapeForTerminal("\xC0\xAF"), "\\300\\257");                    // overlong '/'
  EXPECT_EQ(EscapeForTerminal("\xE0\x80\xAF"), "\\340\\200\\257");           // overlong, 3 bytes
  EXPECT_EQ(EscapeForTerminal("\xED\xA0\x80"), "\\355\\240\\200");           // surrogate U+D800
  EXPECT_EQ(EscapeForTerminal("\xF4\x90\x80\x80"), "\\364\\220\\200\\200");  // > U+10FFFF
  EXPECT_EQ(EscapeForTerminal("\xE6\x97\n"), "\\346\\227\\n");  // a newline is never swallowed
}

TEST(EscapeForTerminal, BidiAndSeparatorsAreEscaped) {
  EXPECT_EQ(EscapeForTerminal("invoice\xE2\x80\xAE"
                              "fdp.exe"),
            "invoice\\342\\200\\256fdp.exe");  // U+202E RIGHT-TO-LEFT OVERRIDE
  for (uint32_t cp : {0x202Au, 0x202Bu, 0x202Cu, 0x202Du, 0x202Eu, 0x2066u, 0x2067u, 0x2068u,
                      0x2069u, 0x2028u, 0x2029u, 0x200Eu, 0x200Fu}) {
    std::string s;
    s.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    EXPECT_TRUE(NeedsTerminalEscape(s)) << std::hex << cp;
    EXPECT_FALSE(HasRawControl(EscapeForTerminal(s)));
    EXPECT_EQ(EscapeForTerminal(s).find('\xE2'), std::string::npos) << std::hex << cp;
  }
  // Neighbours that are ordinary punctuation stay: U+2027, U+2030.
  for (std::string_view s : {"\xE2\x80\xA7", "\xE2\x80\xB0"}) {
    EXPECT_EQ(EscapeForTerminal(s), s);
  }
}

TEST(EscapeForTerminal, EveryByteRoundTripsAndNoControlSurvives) {
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  all += "\\033 \xC2\x9B \xE2\x80\xAE \\n";
  std::string escaped = EscapeForTerminal(all);
  EXPECT_FALSE(HasRawControl(escaped));
  for (unsigned char c : escaped) EXPECT_LT(c, 0x80);  // the only UTF-8 in `all` was dangerous
  EXPECT_EQ(Unescape(escaped), all);
  EXPECT_TRUE(NeedsTerminalEscape(all));
  // Already-escaped-looking text stays distinguishable from the real bytes.
  EXPECT_NE(EscapeForTerminal("\\n"), EscapeForTerminal("\n"));
  EXPECT_NE(EscapeForTerminal("\\033"), EscapeForTerminal("\x1B"));
}

TEST(EscapeForTerminal, AppendKeepsWhatIsThere) {
  std::string out = "key: ";
  AppendEscapedForTerminal("a\nb", &out);
  EXPECT_EQ(out, "key: a\\nb");
}

}  // namespace
}  // namespace thaw
