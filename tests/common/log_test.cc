// Tests for common/log: every accepted level, a helpful error otherwise, that setting up
// twice (as tests and re-configured commands do) neither throws nor adds a second logger, and
// that log messages are escaped so untrusted bytes cannot forge lines or drive the terminal.
#include "common/log.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <sstream>

namespace thaw {
namespace {

TEST(SetupLogging, AcceptsEveryLevelAndCanRunTwice) {
  struct Case {
    std::string_view name;
    spdlog::level::level_enum level;
  };
  const Case cases[] = {{"trace", spdlog::level::trace},  {"debug", spdlog::level::debug},
                        {"INFO", spdlog::level::info},    {"warn", spdlog::level::warn},
                        {"warning", spdlog::level::warn}, {"error", spdlog::level::err},
                        {"off", spdlog::level::off},      {"none", spdlog::level::off}};
  for (const Case& c : cases) {
    ASSERT_TRUE(SetupLogging(c.name).ok()) << c.name;
    EXPECT_EQ(spdlog::get_level(), c.level) << c.name;
    EXPECT_EQ(spdlog::default_logger()->name(), "thaw");
  }
}

TEST(SetupLogging, RefusesUnknownLevels) {
  Status s = SetupLogging("verbose");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("'verbose'"), std::string::npos);
}

// A key as an attacker would name it: a forged second log line, a screen clear, a C1 CSI and
// a right-to-left override.
constexpr std::string_view kHostileKey =
    "k\n2030-01-01T00:00:00.000Z info forged\x1B[2J\xC2\x9B"
    "31m\xE2\x80\xAEtxt";

int CountLines(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

TEST(LogFormatter, EscapesTheMessageAndKeepsOneLinePerCall) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(out);
  sink->set_formatter(MakeLogFormatter());
  spdlog::logger logger("t", sink);
  logger.warn("GET s3://b/{} failed", kHostileKey);
  logger.info("plain été 日本");
  std::string text = out.str();
  EXPECT_EQ(CountLines(text), 2) << text;
  EXPECT_EQ(text.find('\x1B'), std::string::npos) << text;
  EXPECT_EQ(text.find("\xC2\x9B"), std::string::npos) << text;
  EXPECT_EQ(text.find("\xE2\x80\xAE"), std::string::npos) << text;
  EXPECT_NE(text.find(" warning GET s3://b/k\\n2030-01-01T00:00:00.000Z info forged\\033[2J"
                      "\\302\\23331m\\342\\200\\256txt failed\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(" info plain été 日本\n"), std::string::npos) << text;
}

TEST(SetupLogging, InstallsTheEscapingFormatterOnStderr) {
  ASSERT_TRUE(SetupLogging("info").ok());
  testing::internal::CaptureStderr();
  spdlog::info("key {}", kHostileKey);
  spdlog::default_logger()->flush();
  std::string text = testing::internal::GetCapturedStderr();
  EXPECT_EQ(CountLines(text), 1) << text;
  EXPECT_EQ(text.find('\x1B'), std::string::npos) << text;
  EXPECT_NE(text.find("key k\\n2030-01-01T00:00:00.000Z info forged\\033[2J"), std::string::npos)
      << text;
  ASSERT_TRUE(SetupLogging("warn").ok());
}

TEST(JsonLogFormatter, OneObjectPerLineInAsciiThatParsesBackToTheMessage) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(out);
  sink->set_formatter(MakeJsonLogFormatter());
  spdlog::logger logger("t", sink);
  logger.warn("GET s3://b/{} failed", kHostileKey);
  logger.info("plain \"q\" \\ été 日本 \xF0\x9F\x98\x80 bad\xFF");
  std::string text = out.str();
  ASSERT_EQ(CountLines(text), 2) << text;
  for (char c : text) {
    ASSERT_TRUE(c == '\n' || (c >= 0x20 && c < 0x7F)) << "not printable ASCII: " << text;
  }
  std::istringstream lines(text);
  std::string line;
  std::getline(lines, line);
  auto first = nlohmann::json::parse(line);
  EXPECT_EQ(first["level"], "warning");
  EXPECT_EQ(first["msg"], "GET s3://b/" + std::string(kHostileKey) + " failed");
  EXPECT_TRUE(first["pid"].is_number());
  EXPECT_EQ(first["time"].get<std::string>().size(), 24u) << line;  // 2026-12-04T09:00:00.000Z
  std::getline(lines, line);
  auto second = nlohmann::json::parse(line);
  EXPECT_EQ(second["level"], "info");
  // Bytes that are not UTF-8 become U+FFFD; everything else comes back exactly.
  EXPECT_EQ(second["msg"], "plain \"q\" \\ été 日本 \xF0\x9F\x98\x80 bad\xEF\xBF\xBD");
}

TEST(SetLogFormat, SwitchesTheInstalledLoggerAndRefusesUnknownFormats) {
  ASSERT_TRUE(SetupLogging("info").ok());
  ASSERT_TRUE(SetLogFormat("JSON").ok());
  testing::internal::CaptureStderr();
  spdlog::info("key {}", kHostileKey);
  spdlog::default_logger()->flush();
  std::string text = testing::internal::GetCapturedStderr();
  EXPECT_EQ(CountLines(text), 1) << text;
  EXPECT_EQ(nlohmann::json::parse(text)["msg"], "key " + std::string(kHostileKey));
  // A later setup (commands set up again) keeps the format.
  ASSERT_TRUE(SetupLogging("info").ok());
  testing::internal::CaptureStderr();
  spdlog::info("again");
  spdlog::default_logger()->flush();
  EXPECT_EQ(nlohmann::json::parse(testing::internal::GetCapturedStderr())["msg"], "again");
  Status bad = SetLogFormat("xml");
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.message().find("'xml'"), std::string::npos);
  ASSERT_TRUE(SetLogFormat("text").ok());
  ASSERT_TRUE(SetupLogging("warn").ok());
}

// Lines thaw writes itself (errors, status lines) follow the format too.
TEST(LogLine, TextAsIsJsonAsTheLoggersObject) {
  ASSERT_TRUE(SetLogFormat("text").ok());
  EXPECT_FALSE(JsonLogFormat());
  EXPECT_EQ(LogLine("error", "thaw: mount: no"), "thaw: mount: no\n");
  ASSERT_TRUE(SetLogFormat("json").ok());
  EXPECT_TRUE(JsonLogFormat());
  std::string line = LogLine("error", "thaw: " + std::string(kHostileKey));
  ASSERT_EQ(CountLines(line), 1) << line;
  ASSERT_EQ(line.back(), '\n');
  auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["level"], "error");
  EXPECT_EQ(j["msg"], "thaw: " + std::string(kHostileKey));
  EXPECT_TRUE(j["pid"].is_number());
  EXPECT_EQ(j["time"].get<std::string>().size(), 24u) << line;
  ASSERT_TRUE(SetLogFormat("text").ok());
}

}  // namespace
}  // namespace thaw
