// Small string utilities shared by every module: case, trimming, splitting, hex, percent-encoding.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace thaw {

std::string ToLower(std::string_view s);
std::string_view Trim(std::string_view s);  // ASCII whitespace at both ends
bool StartsWith(std::string_view s, std::string_view prefix);
bool EndsWith(std::string_view s, std::string_view suffix);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
std::vector<std::string> Split(std::string_view s, char sep);  // keeps empty fields

std::string HexEncode(std::string_view bytes);  // lower-case

// RFC 3986 percent-encoding as SigV4 and S3 use it: unreserved characters (A-Z a-z 0-9 - _ . ~)
// stay; every other byte becomes %XX (upper-case hex). With keep_slash, '/' stays too (S3 keys
// in paths).
std::string UriEncode(std::string_view s, bool keep_slash = false);

// Decodes %XX sequences. With plus_is_space, '+' becomes ' ' (form encoding, as in S3 event
// notifications). Returns nullopt on a malformed escape.
std::optional<std::string> UriDecode(std::string_view s, bool plus_is_space = false);

// Parses a decimal integer occupying the whole string.
std::optional<int64_t> ParseInt64(std::string_view s);
std::optional<uint64_t> ParseUint64(std::string_view s);

// "1.5 MiB" style, for humans.
std::string HumanBytes(uint64_t bytes);

}  // namespace thaw
