// Random identifiers: shape (alphabet, length, UUID version and variant) and no repeats.
#include "common/random_id.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>

namespace thaw {
namespace {

TEST(RandomIdTest, HexHasTheLengthAndAlphabetAsked) {
  for (size_t n : {0u, 1u, 16u, 40u}) {
    std::string h = RandomHex(n);
    EXPECT_EQ(h.size(), n);
    EXPECT_EQ(h.find_first_not_of("0123456789abcdef"), std::string::npos) << h;
  }
  std::string upper = RandomChars(200, "AB");
  EXPECT_EQ(upper.find_first_not_of("AB"), std::string::npos);
  EXPECT_NE(upper.find('A'), std::string::npos);  // both letters drawn (2^-199 to fail)
  EXPECT_NE(upper.find('B'), std::string::npos);
}

TEST(RandomIdTest, UuidsAreVersion4AndDistinct) {
  std::regex v4("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string u = RandomUuid();
    EXPECT_TRUE(std::regex_match(u, v4)) << u;
    seen.insert(u);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(RandomIdTest, BytesUseTheWholeRange) {
  std::string b = RandomBytes(4096);
  ASSERT_EQ(b.size(), 4096u);
  std::set<unsigned char> values(b.begin(), b.end());
  EXPECT_GT(values.size(), 200u);  // 256 values, 4096 draws: all but certainly > 250 seen
}

}  // namespace
}  // namespace thaw
