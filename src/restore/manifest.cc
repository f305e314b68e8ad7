// CSV manifest reading (see manifest.h): records from the shared CSV reader, then per-record
// checks and key decoding.
#include "restore/manifest.h"

#include <sstream>

#include "common/strings.h"

namespace thaw::restore {

ManifestReader::ManifestReader(std::istream& in, std::string source_name, ManifestOptions options)
    : csv_(in, std::move(source_name)), options_(options) {}

Result<std::optional<ManifestEntry>> ManifestReader::Next() {
  std::vector<std::string> fields;
  while (true) {
    THAW_ASSIGN_OR_RETURN(bool more, csv_.Next(&fields));
    if (!more) return std::optional<ManifestEntry>();
    if (fields.size() == 1 && Trim(fields[0]).empty()) continue;  // blank line
    break;
  }
  if (fields.size() < 2) return csv_.Error("expected bucket,key[,version_id]; found one field");
  if (fields.size() > 3) {
    return csv_.Error("expected bucket,key[,version_id]; found " + std::to_string(fields.size()) +
                      " fields (quote keys that contain commas)");
  }
  ManifestEntry e;
  e.line = csv_.line();
  e.object.bucket = std::string(Trim(fields[0]));
  if (e.object.bucket.empty()) return csv_.Error("empty bucket name");
  if (e.object.bucket.find('/') != std::string::npos) {
    return csv_.Error("bucket name '" + e.object.bucket + "' contains '/'");
  }
  auto decode = [&](const std::string& s, const char* what) -> Result<std::string> {
    if (!options_.decode_keys) return s;
    auto d = UriDecode(s, /*plus_is_space=*/true);
    if (!d) return csv_.Error(std::string("malformed %-escape in ") + what + " '" + s + "'");
    return *d;
  };
  THAW_ASSIGN_OR_RETURN(e.object.key, decode(fields[1], "key"));
  if (e.object.key.empty()) return csv_.Error("empty key");
  if (fields.size() == 3) {
    THAW_ASSIGN_OR_RETURN(e.object.version_id, decode(std::string(Trim(fields[2])), "version id"));
  }
  return std::optional<ManifestEntry>(std::move(e));
}

Result<std::vector<ManifestEntry>> ParseManifest(std::string_view text,
                                                 std::string_view source_name,
                                                 ManifestOptions options) {
  std::istringstream in{std::string(text)};
  ManifestReader reader(in, std::string(source_name), options);
  std::vector<ManifestEntry> out;
  while (true) {
    THAW_ASSIGN_OR_RETURN(std::optional<ManifestEntry> e, reader.Next());
    if (!e) return out;
    out.push_back(std::move(*e));
  }
}

}  // namespace thaw::restore
