// Escaping of untrusted text for a terminal or a log line.
//
// Object keys, metadata, S3 error messages and event fields are chosen by whoever can write to a
// bucket or a queue. Printed raw, a key holding ESC[2J clears the operator's screen, one holding
// "\n" forges a second listing or log line, and U+202E reverses what follows. Everything thaw
// shows a human goes through EscapeForTerminal; JSON output does not (JSON escapes on its own).
//
// The style is GNU `ls --quoting-style=escape`: \a \b \t \n \v \f \r for the common controls,
// \ooo (three octal digits per byte) for every other byte a terminal could interpret, and a
// literal backslash doubled, so the escaped text is unambiguous and can be decoded back to the
// exact bytes. Escaped are:
//   - C0 controls 0x00-0x1F and DEL 0x7F;
//   - C1 controls, as raw bytes 0x80-0x9F and as UTF-8 U+0080-U+009F (some terminals act on
//     both: \xc2\x9b is CSI);
//   - every byte that is not part of a well-formed UTF-8 sequence (overlong forms, surrogates,
//     code points past U+10FFFF, truncated sequences);
//   - bidi controls that reorder what a reader sees: U+061C, U+200E, U+200F, U+202A-U+202E,
//     U+2066-U+2069; and the line/paragraph separators U+2028, U+2029.
// Any other valid UTF-8 (accents, CJK, emoji) passes unchanged.
//
// Thread-safe (pure functions).
#pragma once

#include <string>
#include <string_view>

namespace thaw {

// Returns `text` escaped for display (see above).
std::string EscapeForTerminal(std::string_view text);

// Appends the escaped form of `text` to `*out`.
void AppendEscapedForTerminal(std::string_view text, std::string* out);

// True when EscapeForTerminal(text) would differ from `text`.
bool NeedsTerminalEscape(std::string_view text);

}  // namespace thaw
