// Random identifiers: request ids, upload ids, job ids, file names, UUIDs. Unpredictable enough
// to be unique across processes (seeded from std::random_device per thread), not for secrets:
// keys and tokens come from OpenSSL's RAND_bytes where they are made.
//
// Thread-safe (one generator per thread).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace thaw {

// `n` random characters drawn from `alphabet`.
std::string RandomChars(size_t n, std::string_view alphabet);

// `n` random lower-case hex digits.
std::string RandomHex(size_t n);

// A version 4 UUID, lower case: "1b4e28ba-2fa1-4d2e-883f-0016d3cca427".
std::string RandomUuid();

// `n` random bytes.
std::string RandomBytes(size_t n);

}  // namespace thaw
