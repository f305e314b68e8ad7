// A corpus of hostile keys through every command that shows keys, against `thaw sim`: whoever
// can write to a bucket chooses key bytes, and they must reach the operator's terminal and logs
// escaped (no raw control byte, no forged line, one line per object), while --json keeps every
// key exact. Keys go in with thaw's own client and out through the real `thaw` binary.
#include <gtest/gtest.h>

#include <set>

#include "common/terminal_escape.h"
#include "integration/mount_env.h"
#include "integration/thaw_cli.h"
#include "support/test_env.h"

namespace thaw::testing {
namespace {

constexpr char kBucket[] = "hostile";

// A log line as thaw writes one: what a forging key imitates.
constexpr char kForgedLogLine[] = "2030-01-01T00:00:00.000Z error forged";

std::vector<std::string> Corpus() {
  std::string long_key = "long/";
  while (long_key.size() + 3 <= 1024) long_key += "\xE6\x97\xA5";  // 日
  while (long_key.size() < 1024) long_key += "x";
  return {
      "esc/\x1B[2J\x1B[Hcleared",
      std::string("forge\n2024-01-01 00:00:00             5  STANDARD  -  forged.txt"),
      std::string("log\n") + kForgedLogLine,
      "cr\rover",
      "tab\tkey",
      "del\x7Fkey",
      "c1/\xC2\x9B"
      "31mred",
      "bidi/\xE2\x80\xAE"
      "txt.exe",
      "line\xE2\x80\xA8sep",
      "back\\slash\\n\\033",
      "quote\"'single",
      "$(touch pwned)`id`;|&",
      "dir\nwith/newline",
      "accent/\xC3\xA9t\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80",
      long_key,
  };
}

// The key as `sh` sees one single-quoted word.
std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

// Bytes a terminal would act on: C0 controls other than the line feed ending each line, DEL,
// C1 in UTF-8, bidi overrides and line separators.
std::string RawControlIn(const std::string& text) {
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\n') || c == 0x7F)
      return "byte " + std::to_string(c) + " at " + std::to_string(i);
  }
  for (std::string_view bad : {"\xC2\x9B", "\xE2\x80\xAE", "\xE2\x80\xA8"}) {
    if (text.find(bad) != std::string::npos) return "a C1 / bidi / separator character";
  }
  return "";
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

class HostileKeysTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // Debug level: the sim logs every request with its decoded bucket and key.
    sim_ = new SimServer({"--time-scale", "3600", "--log-level", "debug"});
    ASSERT_FALSE(sim_->endpoint().empty()) << sim_->Log();
    auto client = MakeTestClient(sim_->endpoint());
    ASSERT_TRUE(client->CreateBucket(kBucket).ok());
    int i = 0;
    for (const std::string& key : Corpus()) {
      // Half archived, so restore and status have rows to show.
      Put(*client, kBucket, key, "12345", i++ % 2 == 0 ? "GLACIER" : "");
    }
  }
  static void TearDownTestSuite() {
    delete sim_;
    sim_ = nullptr;
  }

  ThawRun Thaw(const std::string& args) { return RunThaw(args, sim_->endpoint(), home_.path()); }

  static std::set<std::string> CorpusSet() {
    auto v = Corpus();
    return {v.begin(), v.end()};
  }

  static SimServer* sim_;
  TempDir home_;
};

SimServer* HostileKeysTest::sim_ = nullptr;

TEST_F(HostileKeysTest, LsRecursivePrintsOneEscapedLinePerObject) {
  ThawRun r = Thaw(std::string("ls s3://") + kBucket + " --recursive --log-level debug");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(RawControlIn(r.out), "") << r.out;
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), Corpus().size()) << r.out;
  for (const std::string& key : Corpus()) {
    std::string shown = EscapeForTerminal(key);
    int matches = 0;
    for (const std::string& line : lines) {
      matches += line.size() >= shown.size() &&
                 line.compare(line.size() - shown.size(), shown.size(), shown) == 0;
    }
    EXPECT_EQ(matches, 1) << shown;
  }
  EXPECT_EQ(RawControlIn(r.err), "") << r.err;
}

TEST_F(HostileKeysTest, SimLogNamesEveryKeyEscapedWithoutForgedLines) {
  // The sim logged each PUT (SetUpTestSuite) with the key as sent: through the same formatter
  // as every thaw log line.
  std::string log = sim_->Log();
  EXPECT_EQ(RawControlIn(log), "") << log;
  for (const std::string& line : Lines(log)) {
    EXPECT_EQ(line.rfind(kForgedLogLine, 0), std::string::npos) << line;
  }
  for (const std::string& key : Corpus()) {
    EXPECT_NE(log.find(EscapeForTerminal(key)), std::string::npos) << EscapeForTerminal(key);
  }
}

TEST_F(HostileKeysTest, LsJsonRoundTripsEveryKeyExactly) {
  ThawRun r = Thaw(std::string("ls s3://") + kBucket + " --recursive --json");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(RawControlIn(r.out), "");
  std::set<std::string> keys;
  for (const auto& j : JsonLines(r.out)) keys.insert(j["key"].get<std::string>());
  EXPECT_EQ(keys, CorpusSet());
}

TEST_F(HostileKeysTest, LsOneLevelEscapesPrefixes) {
  ThawRun r = Thaw(std::string("ls s3://") + kBucket);
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(RawControlIn(r.out), "") << r.out;
  // Top level: the prefixes esc/ c1/ bidi/ dir\nwith/ accent/ long/ and nine plain keys.
  std::vector<std::string> lines = Lines(r.out);
  EXPECT_EQ(lines.size(), 15u) << r.out;
  int pre_lines = 0;
  for (const std::string& line : lines) {
    if (line.find(" PRE ") == std::string::npos) continue;
    ++pre_lines;
    EXPECT_TRUE(line.ends_with("  dir\\nwith/") || line.ends_with("  esc/") ||
                line.ends_with("  c1/") || line.ends_with("  bidi/") ||
                line.ends_with("  accent/") || line.ends_with("  long/"))
        << line;
  }
  EXPECT_EQ(pre_lines, 6) << r.out;

  ThawRun j = Thaw(std::string("ls s3://") + kBucket + " --json");
  ASSERT_EQ(j.rc, 0) << j.err;
  std::set<std::string> prefixes;
  for (const auto& line : JsonLines(j.out)) {
    if (line.contains("prefix")) prefixes.insert(line["prefix"].get<std::string>());
  }
  EXPECT_TRUE(prefixes.count("dir\nwith/")) << j.out;
}

TEST_F(HostileKeysTest, StatEscapesHumanOutputAndKeepsJsonExact) {
  for (const std::string& key : Corpus()) {
    std::string uri = ShellQuote(std::string("s3://") + kBucket + "/" + key);
    ThawRun r = Thaw("stat " + uri);
    ASSERT_EQ(r.rc, 0) << EscapeForTerminal(key) << ": " << r.err;
    EXPECT_EQ(RawControlIn(r.out), "") << r.out;
    std::vector<std::string> lines = Lines(r.out);
    ASSERT_FALSE(lines.empty());
    const std::string shown = EscapeForTerminal(key);
    EXPECT_EQ(lines[0].rfind("key:", 0), 0u) << lines[0];
    EXPECT_TRUE(lines[0].ends_with("  " + shown)) << lines[0];
    for (const std::string& line : lines) {
      EXPECT_TRUE(line.find(':') != std::string::npos) << "a line that is no field: " << line;
    }

    ThawRun j = Thaw("stat " + uri + " --json");
    ASSERT_EQ(j.rc, 0) << j.err;
    EXPECT_EQ(RawControlIn(j.out), "");
    EXPECT_EQ(j.Json()["key"], key);
  }
}

TEST_F(HostileKeysTest, ErrorMessagesEscapeKeys) {
  ThawRun r = Thaw(std::string("stat ") + ShellQuote(std::string("s3://") + kBucket +
                                                     "/missing\x1B[2J\n" + kForgedLogLine));
  EXPECT_EQ(r.rc, 3) << r.err;
  EXPECT_EQ(RawControlIn(r.err), "") << r.err;
  EXPECT_EQ(Lines(r.err).size(), 1u) << r.err;
  EXPECT_NE(r.err.find("missing\\033[2J\\n2030"), std::string::npos) << r.err;

  ThawRun bad = Thaw(std::string("ls ") + ShellQuote("s3://bad\x1B]0;owned\x07/x"));
  EXPECT_EQ(bad.rc, 2) << bad.err;
  EXPECT_EQ(RawControlIn(bad.err), "") << bad.err;
  EXPECT_EQ(Lines(bad.err).size(), 1u) << bad.err;

  // A key past S3's limit is refused by the client, with an escaped message.
  ThawRun too_long = Thaw(std::string("stat ") + ShellQuote(std::string("s3://") + kBucket +
                                                            "/\x1B" + std::string(1100, 'k')));
  EXPECT_EQ(too_long.rc, 2) << too_long.err;
  EXPECT_NE(too_long.err.find("1101 bytes"), std::string::npos) << too_long.err;
  EXPECT_EQ(RawControlIn(too_long.err), "") << too_long.err;
}

TEST_F(HostileKeysTest, RestoreAndStatusShowOneEscapedRowPerObject) {
  ThawRun r = Thaw(std::string("restore s3://") + kBucket +
                   " --recursive --tier Standard --days 1 --log-level debug");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(RawControlIn(r.out), "") << r.out;
  EXPECT_EQ(RawControlIn(r.err), "") << r.err;
  for (const std::string& line : Lines(r.err)) {
    EXPECT_EQ(line.rfind(kForgedLogLine, 0), std::string::npos) << line;
    EXPECT_EQ(line.rfind("2024-01-01 00:00:00", 0), std::string::npos) << line;
  }
  size_t archived = (Corpus().size() + 1) / 2;

  ThawRun human = Thaw(std::string("status s3://") + kBucket);
  ASSERT_EQ(human.rc, 0) << human.err;
  EXPECT_EQ(RawControlIn(human.out), "") << human.out;
  // A header, one row per restore, and the count.
  EXPECT_EQ(Lines(human.out).size(), archived + 2) << human.out;
  int i = 0;
  for (const std::string& key : Corpus()) {
    if (i++ % 2 != 0) continue;
    EXPECT_NE(human.out.find(EscapeForTerminal(key)), std::string::npos) << EscapeForTerminal(key);
  }

  ThawRun json = Thaw(std::string("status s3://") + kBucket + " --json");
  ASSERT_EQ(json.rc, 0) << json.err;
  std::set<std::string> keys;
  for (const auto& j : JsonLines(json.out)) keys.insert(j["key"].get<std::string>());
  std::set<std::string> want;
  i = 0;
  for (const std::string& key : Corpus()) {
    if (i++ % 2 == 0) want.insert(key);
  }
  EXPECT_EQ(keys, want);
}

}  // namespace
}  // namespace thaw::testing
