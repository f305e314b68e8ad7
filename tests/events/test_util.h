// Helpers for the event parser tests: fixtures from tests/events/data, gzip compression with
// zlib (so that tests build their compressed inputs from the plain fixtures), and a compact
// summary of a Parsed value for assertions.
#pragma once

#include <zlib.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "events/types.h"
#include "support/test_env.h"

namespace thaw::events::testing {

inline std::string DataDir() {
  return thaw::testing::SourceDir() + "/tests/events/data";
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline std::string Fixture(const std::string& name) {
  return ReadFile(DataDir() + "/" + name);
}

// gzip-compresses `data` (one member, as CloudTrail writes its log files).
inline std::string Gzip(const std::string& data, int level = Z_DEFAULT_COMPRESSION) {
  z_stream zs{};
  if (deflateInit2(&zs, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("deflateInit2");
  }
  std::string out(deflateBound(&zs, data.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate");
  return out;
}

// "kind bucket/key@version #event_id" per event, for readable failures.
inline std::vector<std::string> Summary(const Parsed& p) {
  std::vector<std::string> out;
  for (const Event& e : p.events) {
    std::string s(EventKindName(e.kind));
    s += " " + e.bucket + "/" + e.key;
    if (!e.version_id.empty()) s += "@" + e.version_id;
    s += " #" + e.event_id;
    out.push_back(s);
  }
  return out;
}

}  // namespace thaw::events::testing
