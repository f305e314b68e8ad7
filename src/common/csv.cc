// The CSV reader's state machine and field quoting (see csv.h).
#include "common/csv.h"

namespace thaw {

CsvReader::CsvReader(std::istream& in, std::string source) : in_(in), source_(std::move(source)) {}

Status CsvReader::ErrorAt(int line, const std::string& reason) const {
  return Status::InvalidArgument(source_ + ":" + std::to_string(line) + ": " + reason);
}

Status CsvReader::Error(const std::string& reason) const {
  return ErrorAt(record_line_, reason);
}

Result<bool> CsvReader::Next(std::vector<std::string>* fields) {
  fields->clear();
  if (first_) {
    first_ = false;
    if (in_.peek() == 0xEF) {
      char bom[3];
      in_.read(bom, 3);
      if (in_.gcount() != 3 || std::string_view(bom, 3) != "\xEF\xBB\xBF") {
        return ErrorAt(next_line_, "invalid UTF-8 at the start of the file");
      }
    }
  }
  record_line_ = next_line_;
  std::string field;
  bool quoted = false;      // inside a quoted field
  bool was_quoted = false;  // the current field was quoted: only a separator may follow
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
        if (c == '\n') ++next_line_;
        field += static_cast<char>(c);
      }
      continue;
    }
    if (c == '\r' && in_.peek() == '\n') continue;
    if (c == '\n') {
      ++next_line_;
      fields->push_back(std::move(field));
      return true;
    }
    if (c == ',') {
      fields->push_back(std::move(field));
      field.clear();
      was_quoted = false;
      continue;
    }
    if (was_quoted) return ErrorAt(next_line_, "unexpected character after a closing quote");
    if (c == '"') {
      if (!field.empty()) return ErrorAt(next_line_, "quote inside an unquoted field");
      quoted = was_quoted = true;
      continue;
    }
    field += static_cast<char>(c);
  }
  if (quoted) return ErrorAt(record_line_, "unterminated quoted field");
  if (!any) return false;
  fields->push_back(std::move(field));
  return true;
}

std::string CsvField(std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(field);
  std::string q = "\"";
  for (char c : field) {
    if (c == '"') q += '"';
    q += c;
  }
  return q + "\"";
}

}  // namespace thaw
