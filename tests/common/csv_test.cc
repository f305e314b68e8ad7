// The one CSV reader: RFC 4180 quoting, line ends, line numbers in errors, and that what
// CsvField writes reads back unchanged.
#include "common/csv.h"

#include <gtest/gtest.h>

#include <sstream>

namespace thaw {
namespace {

std::vector<std::vector<std::string>> ReadAll(const std::string& text) {
  std::istringstream in(text);
  CsvReader csv(in, "t.csv");
  std::vector<std::vector<std::string>> out;
  std::vector<std::string> f;
  while (true) {
    Result<bool> more = csv.Next(&f);
    EXPECT_TRUE(more.ok()) << more.status().message();
    if (!more.ok() || !*more) return out;
    out.push_back(f);
  }
}

std::string ErrorOf(const std::string& text) {
  std::istringstream in(text);
  CsvReader csv(in, "t.csv");
  std::vector<std::string> f;
  while (true) {
    Result<bool> more = csv.Next(&f);
    if (!more.ok()) return more.status().message();
    if (!*more) return "";
  }
}

using Rows = std::vector<std::vector<std::string>>;

TEST(CsvReaderTest, SplitsFieldsAndLines) {
  EXPECT_EQ(ReadAll("a,b,c\nd,,f\n"), (Rows{{"a", "b", "c"}, {"d", "", "f"}}));
  EXPECT_EQ(ReadAll("a,b"), (Rows{{"a", "b"}}));  // no final line break
  EXPECT_EQ(ReadAll(""), Rows{});
  EXPECT_EQ(ReadAll("\n"), (Rows{{""}}));  // a blank line is one empty field
}

TEST(CsvReaderTest, QuotedFieldsHoldSeparatorsQuotesAndLineBreaks) {
  EXPECT_EQ(ReadAll("\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\"\nx,y,z\n"),
            (Rows{{"a,b", "say \"hi\"", "two\nlines"}, {"x", "y", "z"}}));
  EXPECT_EQ(ReadAll("\"\",\" spaced \"\n"), (Rows{{"", " spaced "}}));
}

TEST(CsvReaderTest, CrLfAndByteOrderMark) {
  EXPECT_EQ(ReadAll("\xEF\xBB\xBF"
                    "a,b\r\nc,d\r\n"),
            (Rows{{"a", "b"}, {"c", "d"}}));
  // A CR inside a field (not before LF) is data.
  EXPECT_EQ(ReadAll("a\rb,c\n"), (Rows{{"a\rb", "c"}}));
}

TEST(CsvReaderTest, LineNumbersCountLineBreaksInsideQuotes) {
  std::istringstream in("a,\"x\ny\"\nb,c\n");
  CsvReader csv(in, "t.csv");
  std::vector<std::string> f;
  ASSERT_TRUE(*csv.Next(&f));
  EXPECT_EQ(csv.line(), 1);
  ASSERT_TRUE(*csv.Next(&f));
  EXPECT_EQ(csv.line(), 3);
  EXPECT_EQ(csv.Error("bad key").message(), "t.csv:3: bad key");
}

TEST(CsvReaderTest, MalformedRecordsNameSourceAndLine) {
  EXPECT_EQ(ErrorOf("a,b\nc,\"open\n"), "t.csv:2: unterminated quoted field");
  EXPECT_EQ(ErrorOf("a,b\"c\n"), "t.csv:1: quote inside an unquoted field");
  EXPECT_EQ(ErrorOf("ok\n\"ab\"c\n"), "t.csv:2: unexpected character after a closing quote");
  EXPECT_EQ(ErrorOf("\xEF\xBB"
                    "x\n"),
            "t.csv:1: invalid UTF-8 at the start of the file");
}

TEST(CsvReaderTest, WhatCsvFieldWritesReadsBack) {
  std::vector<std::string> fields = {"plain", "com,ma", "qu\"ote", "new\nline", "", " lead"};
  std::string line;
  for (const std::string& f : fields) line += (line.empty() ? "" : ",") + CsvField(f);
  EXPECT_EQ(ReadAll(line + "\r\n"), Rows{fields});
  EXPECT_EQ(CsvField("plain"), "plain");
  EXPECT_EQ(CsvField("a\"b"), "\"a\"\"b\"");
}

}  // namespace
}  // namespace thaw
