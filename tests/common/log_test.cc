// Tests for common/log: every accepted level, a helpful error otherwise, and that setting up
// twice (as tests and re-configured commands do) neither throws nor adds a second logger.
#include "common/log.h"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

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

}  // namespace
}  // namespace thaw
