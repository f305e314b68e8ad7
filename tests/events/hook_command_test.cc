// Hook commands from templates: one-pass placeholder expansion (inserted text is never scanned
// again), shell quoting, the exec form's per-argument values, the THAW_* environment, and the
// containment rule for {path}: a key maps below LOCAL_DIR only as a plain relative path.
#include "events/hook_command.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace thaw::events {
namespace {

HookTemplate Shell(std::string s) {
  HookTemplate t;
  t.shell = std::move(s);
  return t;
}

std::vector<PathMap> DataMap() {
  return {*ParsePathMap("/data=s3://lab/data")};
}

TEST(PathMap, ParsesAndNormalises) {
  auto m = ParsePathMap("/fsx//data/./=s3://bucket/prefix");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->local, "/fsx/data");
  EXPECT_EQ(m->bucket, "bucket");
  EXPECT_EQ(m->prefix, "prefix/");
  EXPECT_EQ(ParsePathMap("/=s3://b")->local, "/");
  EXPECT_FALSE(ParsePathMap("/fsx/data").ok());
  EXPECT_FALSE(ParsePathMap("/fsx=http://x").ok());
  EXPECT_FALSE(ParsePathMap("relative/dir=s3://b/p").ok()) << "LOCAL_DIR must be absolute";
}

TEST(ExpandHook, OnePassNeverRescansInsertedText) {
  // The old expansion replaced {path} first, then found "{key}" inside the inserted path and
  // replaced it with another quoted string, closing the quote around $(touch FILE).
  HookSubject s{{"lab", "data/x$(touch FILE){key}", ""}, "GLACIER"};
  Expansion e = ExpandHook(Shell("echo {path} >> out"), DataMap(), s);
  ASSERT_EQ(e.outcome, ExpandOutcome::kReady);
  EXPECT_EQ(e.command.argv,
            (std::vector<std::string>{"/bin/sh", "-c", "echo '/data/x$(touch FILE){key}' >> out"}));
}

TEST(ExpandHook, QuotesEveryValueAndTakesTheLongestMapping) {
  std::vector<PathMap> maps = {*ParsePathMap("/a=s3://b/x"), *ParsePathMap("/deep=s3://b/x/y")};
  Expansion e = ExpandHook(Shell("cmd {bucket} {key} {path} {version} {storage_class}"), maps,
                           {{"b", "x/y/it's here", "v'1"}, "DEEP_ARCHIVE"});
  ASSERT_EQ(e.outcome, ExpandOutcome::kReady);
  EXPECT_EQ(e.command.argv[2],
            "cmd 'b' 'x/y/it'\\''s here' '/deep/it'\\''s here' 'v'\\''1' 'DEEP_ARCHIVE'");
  EXPECT_EQ(ExpandHook(Shell("cmd {path}"), maps, {{"b", "x/z", ""}, ""}).command.argv[2],
            "cmd '/a/z'");
}

TEST(ExpandHook, UnknownPlaceholdersAndBracesStayAsWritten) {
  EXPECT_EQ(ExpandPlaceholders("{nope} {key {key}} {}", {{"key", "K"}}, false),
            "{nope} {key K} {}");
  EXPECT_EQ(ExpandPlaceholders("{key", {{"key", "K"}}, false), "{key");
  EXPECT_EQ(ExpandPlaceholders("{key}{key}", {{"key", "{key}"}}, false), "{key}{key}");
}

TEST(ExpandHook, ExecFormExpandsEachArgumentWithoutQuoting) {
  HookTemplate t;
  t.argv = {"lfs", "hsm_restore", "--", "{path}", "pre-{key}-post"};
  Expansion e = ExpandHook(t, DataMap(), {{"lab", "data/a b/'c'", ""}, ""});
  ASSERT_EQ(e.outcome, ExpandOutcome::kReady);
  EXPECT_EQ(e.command.argv, (std::vector<std::string>{"lfs", "hsm_restore", "--", "/data/a b/'c'",
                                                      "pre-data/a b/'c'-post"}));
}

TEST(ExpandHook, ValuesAlsoGoToTheEnvironment) {
  Expansion e = ExpandHook(Shell("true"), DataMap(), {{"lab", "data/k\n2", "v1"}, "GLACIER"});
  ASSERT_EQ(e.outcome, ExpandOutcome::kReady);
  std::vector<std::string> want = {"THAW_BUCKET=lab", "THAW_KEY=data/k\n2", "THAW_VERSION_ID=v1",
                                   "THAW_STORAGE_CLASS=GLACIER", "THAW_PATH=/data/k\n2"};
  EXPECT_EQ(e.command.env, want);
  // Not covered by a map and no {path}: run without THAW_PATH.
  Expansion other = ExpandHook(Shell("true"), DataMap(), {{"elsewhere", "k", ""}, ""});
  ASSERT_EQ(other.outcome, ExpandOutcome::kReady);
  EXPECT_TRUE(std::none_of(other.command.env.begin(), other.command.env.end(),
                           [](const std::string& v) { return v.starts_with("THAW_PATH="); }));
}

TEST(ExpandHook, PathCommandsSkipUnmappedObjects) {
  EXPECT_EQ(ExpandHook(Shell("x {path}"), DataMap(), {{"other", "data/k", ""}, ""}).outcome,
            ExpandOutcome::kUnmapped);
  HookTemplate t;
  t.argv = {"x", "--file={path}"};
  EXPECT_TRUE(t.UsesPath());
  EXPECT_EQ(ExpandHook(t, DataMap(), {{"lab", "elsewhere/k", ""}, ""}).outcome,
            ExpandOutcome::kUnmapped);
}

TEST(MapToLocalPath, OnlyPlainRelativePathsAreMapped) {
  for (const char* rest : {"../../etc/shadow", "..", ".", "a/..", "a/../../b", "./a", "a/./b",
                           "a//b", "a/", "/a", ""}) {
    MappedPath m = MapToLocalPath(DataMap(), {"lab", std::string("data/") + rest, ""});
    EXPECT_EQ(m.outcome, MapOutcome::kUnsafe) << rest;
    EXPECT_EQ(ExpandHook(Shell("true"), DataMap(), {{"lab", std::string("data/") + rest, ""}, ""})
                  .outcome,
              ExpandOutcome::kUnsafe)
        << "hooked even without {path}: " << rest;
  }
  for (const char* rest : {"..x", "x..", "...", ".hidden", "a/b c/d", "-n", "a\nb"}) {
    MappedPath m = MapToLocalPath(DataMap(), {"lab", std::string("data/") + rest, ""});
    ASSERT_EQ(m.outcome, MapOutcome::kMapped) << rest;
    EXPECT_EQ(m.path, std::string("/data/") + rest);
  }
  // The whole bucket mapped to "/" (an FSx link at the root).
  std::vector<PathMap> root = {*ParsePathMap("/=s3://lab")};
  EXPECT_EQ(MapToLocalPath(root, {"lab", "a/b", ""}).path, "/a/b");
  EXPECT_EQ(MapToLocalPath(root, {"lab", "../etc", ""}).outcome, MapOutcome::kUnsafe);
}

TEST(ExpandHook, NulInAnyValueIsUnsafe) {
  using namespace std::string_literals;
  EXPECT_EQ(ExpandHook(Shell("true"), {}, {{"lab", "k\0x"s, ""}, ""}).outcome,
            ExpandOutcome::kUnsafe);
  EXPECT_EQ(ExpandHook(Shell("true"), {}, {{"lab", "k", "v\0"s}, ""}).outcome,
            ExpandOutcome::kUnsafe);
}

}  // namespace
}  // namespace thaw::events
