// CSV manifest reading (see manifest.h): a small RFC 4180 state machine over the stream, then
// per-record checks and key decoding.
#include "restore/manifest.h"

#include <sstream>

#include "common/strings.h"

namespace thaw::restore {

ManifestReader::ManifestReader(std::istream& in, std::string source_name, ManifestOptions options)
    : in_(in), source_(std::move(source_name)), options_(options) {}

Status ManifestReader::Error(int line, const std::string& reason) const {
  return Status::InvalidArgument(source_ + ":" + std::to_string(line) + ": " + reason);
}

Result<bool> ManifestReader::ReadRecord(std::vector<std::string>* fields, int* start_line) {
  fields->clear();
  if (first_) {
    first_ = false;
    // A UTF-8 byte order mark, as spreadsheet programs write it.
    if (in_.peek() == 0xEF) {
      char bom[3];
      in_.read(bom, 3);
      if (in_.gcount() != 3 || std::string_view(bom, 3) != "\xEF\xBB\xBF") {
        return Error(line_, "invalid UTF-8 at the start of the file");
      }
    }
  }
  *start_line = line_;
  std::string field;
  bool quoted = false;      // inside a quoted field
  bool was_quoted = false;  // the current field was quoted (only a separator may follow)
  bool any = false;         // the record has at least one character
  int c;
  while ((c = in_.get()) != EOF) {
    any = true;
    if (quoted) {
      if (c == '"') {
        if (in_.peek() == '"') {
          in_.get();
          field += '"';
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line_;
        field += static_cast<char>(c);
      }
      continue;
    }
    if (c == '\r' && in_.peek() == '\n') continue;
    if (c == '\n') {
      ++line_;
      fields->push_back(std::move(field));
      return true;
    }
    if (c == ',') {
      fields->push_back(std::move(field));
      field.clear();
      was_quoted = false;
      continue;
    }
    if (was_quoted) return Error(line_, "unexpected character after a closing quote");
    if (c == '"') {
      if (!field.empty()) return Error(line_, "quote inside an unquoted field");
      quoted = was_quoted = true;
      continue;
    }
    field += static_cast<char>(c);
  }
  if (quoted) return Error(*start_line, "unterminated quoted field");
  if (!any) return false;
  fields->push_back(std::move(field));
  return true;
}

Result<std::optional<ManifestEntry>> ManifestReader::Next() {
  std::vector<std::string> fields;
  int line = 0;
  while (true) {
    THAW_ASSIGN_OR_RETURN(bool more, ReadRecord(&fields, &line));
    if (!more) return std::optional<ManifestEntry>();
    if (fields.size() == 1 && Trim(fields[0]).empty()) continue;  // blank line
    break;
  }
  if (fields.size() < 2) return Error(line, "expected bucket,key[,version_id]; found one field");
  if (fields.size() > 3) {
    return Error(line, "expected bucket,key[,version_id]; found " + std::to_string(fields.size()) +
                           " fields (quote keys that contain commas)");
  }
  ManifestEntry e;
  e.line = line;
  e.object.bucket = std::string(Trim(fields[0]));
  if (e.object.bucket.empty()) return Error(line, "empty bucket name");
  if (e.object.bucket.find('/') != std::string::npos) {
    return Error(line, "bucket name '" + e.object.bucket + "' contains '/'");
  }
  auto decode = [&](const std::string& s, const char* what) -> Result<std::string> {
    if (!options_.decode_keys) return s;
    auto d = UriDecode(s, /*plus_is_space=*/true);
    if (!d) return Error(line, std::string("malformed %-escape in ") + what + " '" + s + "'");
    return *d;
  };
  THAW_ASSIGN_OR_RETURN(e.object.key, decode(fields[1], "key"));
  if (e.object.key.empty()) return Error(line, "empty key");
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
