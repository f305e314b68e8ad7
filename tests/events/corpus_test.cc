// Regression run of every fuzz target over its committed corpus (tests/fuzz/corpus/<parser>/),
// so that inputs the fuzzers found (crashers included) are replayed by every g++ build, with
// the fuzz targets' invariants reported as test failures. Then a short mutation run: corpus
// inputs with bytes flipped, inserted and cut, slices repeated and files spliced, from a fixed
// seed (no coverage feedback: the libFuzzer build, scripts/fuzz, does the real search).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <vector>

#include "test_util.h"

// Report invariant violations to gtest instead of aborting (see fuzz_targets.h).
#define THAW_FUZZ_CHECK(cond) EXPECT_TRUE(cond) << #cond << " in " << ::thaw::events::CurrentInput()

namespace thaw::events {
inline std::string& CurrentInput() {
  static std::string name;
  return name;
}
}  // namespace thaw::events

#include "fuzz/fuzz_targets.h"

namespace thaw::events {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> Corpus(const std::string& target) {
  fs::path dir = fs::path(thaw::testing::SourceDir()) / "tests/fuzz/corpus" / target;
  std::vector<std::string> inputs;
  if (!fs::is_directory(dir)) return inputs;
  std::vector<fs::path> paths;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file()) paths.push_back(entry.path());
  }
  std::sort(paths.begin(), paths.end());  // the mutation run is the same on every machine
  for (const auto& p : paths) inputs.push_back(testing::ReadFile(p.string()));
  return inputs;
}

std::string Mutate(const std::vector<std::string>& corpus, std::mt19937_64& rng) {
  auto pick = [&](size_t n) { return n == 0 ? 0 : static_cast<size_t>(rng() % n); };
  std::string s = corpus[pick(corpus.size())];
  int edits = 1 + static_cast<int>(pick(8));
  for (int i = 0; i < edits; ++i) {
    switch (pick(6)) {
      case 0:  // flip a bit
        if (!s.empty()) s[pick(s.size())] ^= static_cast<char>(1 << pick(8));
        break;
      case 1:  // insert a byte, often a JSON-significant one
        s.insert(pick(s.size() + 1), 1, "{}[]\",:0\\\x00\xff"[pick(11)]);
        break;
      case 2:  // cut a slice
        if (!s.empty()) {
          size_t at = pick(s.size());
          s.erase(at, 1 + pick(std::min<size_t>(64, s.size() - at)));
        }
        break;
      case 3:  // repeat a slice
        if (!s.empty()) {
          size_t at = pick(s.size());
          std::string slice = s.substr(at, 1 + pick(64));
          s.insert(pick(s.size() + 1), slice);
        }
        break;
      case 4:  // truncate
        s.resize(pick(s.size() + 1));
        break;
      case 5: {  // splice with another input
        const std::string& other = corpus[pick(corpus.size())];
        s = s.substr(0, pick(s.size() + 1)) + other.substr(pick(other.size() + 1));
        break;
      }
    }
  }
  return s;
}

void RunCorpus(const std::string& target, void (*fn)(const uint8_t*, size_t)) {
  std::vector<std::string> corpus = Corpus(target);
  ASSERT_FALSE(corpus.empty()) << "empty or missing corpus tests/fuzz/corpus/" << target;
  for (size_t i = 0; i < corpus.size(); ++i) {
    CurrentInput() = target + " corpus input " + std::to_string(i);
    fn(reinterpret_cast<const uint8_t*>(corpus[i].data()), corpus[i].size());
  }
  constexpr int kMutations = 20000;
  std::mt19937_64 rng(0x7468617766757a7aull);  // fixed: a failure reproduces
  for (int i = 0; i < kMutations; ++i) {
    std::string input = Mutate(corpus, rng);
    CurrentInput() = target + " mutation " + std::to_string(i);
    fn(reinterpret_cast<const uint8_t*>(input.data()), input.size());
  }
}

TEST(FuzzCorpus, Message) {
  RunCorpus("message", fuzz::FuzzMessage);
}
TEST(FuzzCorpus, CloudTrailLog) {
  RunCorpus("cloudtrail_log", fuzz::FuzzCloudTrailLog);
}
TEST(FuzzCorpus, CloudTrailEvent) {
  RunCorpus("cloudtrail_event", fuzz::FuzzCloudTrailEvent);
}
TEST(FuzzCorpus, S3Notification) {
  RunCorpus("s3_notification", fuzz::FuzzS3Notification);
}
TEST(FuzzCorpus, AccessLog) {
  RunCorpus("access_log", fuzz::FuzzAccessLog);
}
TEST(FuzzCorpus, Gzip) {
  RunCorpus("gzip", fuzz::FuzzGzip);
}

}  // namespace
}  // namespace thaw::events
