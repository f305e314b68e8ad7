// User metadata values outside US-ASCII, as S3 treats them: a value sent as RFC 2047
// encoded-words (=?UTF-8?B?...?= or =?UTF-8?Q?...?=, which is how SDKs that refuse non-ASCII
// header values, botocore among them, carry UTF-8) is decoded before it is stored; a stored value
// with bytes outside printable US-ASCII is encoded as =?UTF-8?B?...?= when it is sent back, so
// that answers stay mail-safe header text. Plain ASCII passes through unchanged both ways.
#pragma once

#include <string>
#include <string_view>

namespace thaw::sim {

// Decodes the encoded-words of `value` (UTF-8 and ISO-8859-1 charsets, B and Q encodings);
// whitespace between two adjacent encoded-words is dropped (RFC 2047 section 6.2). Text that is
// not a well-formed encoded-word is kept as sent.
std::string DecodeMetadataValue(std::string_view value);

// `value` itself when every byte is printable US-ASCII (or tab), else "=?UTF-8?B?...?=".
std::string EncodeMetadataValue(std::string_view value);

}  // namespace thaw::sim
