// CSV as S3 writes and reads it (Batch Operations manifests and completion reports, Inventory
// data files, thaw's own manifests): RFC 4180 records, fields separated by commas; a field in
// double quotes may hold commas, line breaks and doubled quotes; LF or CRLF line ends. One reader
// for every CSV thaw reads, so that quoting rules and error messages cannot differ between them.
#pragma once

#include <istream>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace thaw {

// Streams records from `in`; memory holds one record. A UTF-8 byte order mark at the start (as
// spreadsheet programs write it) is skipped. Not thread-safe.
class CsvReader {
 public:
  // `source` names the input in errors ("manifest.csv:3: quote inside an unquoted field").
  CsvReader(std::istream& in, std::string source);

  // The next record into *fields (a blank line is one empty field); false at the end of input.
  // A malformed record is an InvalidArgument error naming source and line.
  Result<bool> Next(std::vector<std::string>* fields);

  // The line on which the record last returned by Next started (1-based).
  int line() const { return record_line_; }

  // An InvalidArgument error "source:line: reason" for the last record, for callers' own checks.
  Status Error(const std::string& reason) const;

 private:
  Status ErrorAt(int line, const std::string& reason) const;

  std::istream& in_;
  std::string source_;
  int next_line_ = 1;  // line of the next character
  int record_line_ = 0;
  bool first_ = true;
};

// `field` as a CSV field: quoted when it holds a comma, a quote or a line break.
std::string CsvField(std::string_view field);

}  // namespace thaw
