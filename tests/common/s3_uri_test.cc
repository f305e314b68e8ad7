// Tests for common/s3_uri: what users type on the command line, keys taken verbatim, and the
// inputs refused with a message that says why.
#include "common/s3_uri.h"

#include <gtest/gtest.h>

namespace thaw {
namespace {

TEST(ParseS3Uri, BucketOnly) {
  for (std::string_view text : {"s3://bucket", "s3://bucket/"}) {
    auto uri = ParseS3Uri(text);
    ASSERT_TRUE(uri.ok()) << text << ": " << uri.status().ToString();
    EXPECT_EQ(uri->bucket, "bucket");
    EXPECT_EQ(uri->key, "");
    EXPECT_EQ(uri->ToString(), "s3://bucket");
  }
}

TEST(ParseS3Uri, KeysAndPrefixes) {
  auto uri = ParseS3Uri("s3://my.bucket-1/a/b");
  ASSERT_TRUE(uri.ok());
  EXPECT_EQ(uri->bucket, "my.bucket-1");
  EXPECT_EQ(uri->key, "a/b");
  EXPECT_EQ(uri->ToString(), "s3://my.bucket-1/a/b");

  auto prefix = ParseS3Uri("s3://b/dir/");
  ASSERT_TRUE(prefix.ok());
  EXPECT_EQ(prefix->key, "dir/");
  EXPECT_EQ(prefix->ToString(), "s3://b/dir/");
}

TEST(ParseS3Uri, KeysAreVerbatim) {
  // S3 keys may hold anything; nothing is decoded or collapsed.
  for (std::string_view key : {"a b+c%20d", "//double//", "é/日本.txt", "?x=1#frag", "."}) {
    auto uri = ParseS3Uri("s3://b/" + std::string(key));
    ASSERT_TRUE(uri.ok()) << key;
    EXPECT_EQ(uri->key, key);
    EXPECT_EQ(uri->ToString(), "s3://b/" + std::string(key));
  }
}

TEST(ParseS3Uri, LegacyBucketNamesAreAccepted) {
  // Old us-east-1 buckets may have upper case and underscores.
  auto uri = ParseS3Uri("s3://Old_Bucket/k");
  ASSERT_TRUE(uri.ok());
  EXPECT_EQ(uri->bucket, "Old_Bucket");
}

TEST(ParseS3Uri, RefusesWhatIsNotAnS3Uri) {
  struct Case {
    std::string_view text;
    std::string_view mentions;
  };
  const Case cases[] = {
      {"", "not an S3 URI"},
      {"bucket/key", "not an S3 URI"},
      {"s3:/bucket", "not an S3 URI"},
      {"S3://bucket", "not an S3 URI"},
      {"https://bucket.s3.amazonaws.com/k", "not an S3 URI"},
      {"s3://", "names no bucket"},
      {"s3:///key", "names no bucket"},
      {"s3://bu cket/k", "invalid character"},
      {"s3://bucket?x/k", "invalid character"},
      {"s3://b%41/k", "invalid character"},
      {"s3://user@bucket", "invalid character"},
  };
  for (const Case& c : cases) {
    auto uri = ParseS3Uri(c.text);
    ASSERT_FALSE(uri.ok()) << c.text;
    EXPECT_EQ(uri.status().code(), StatusCode::kInvalidArgument) << c.text;
    EXPECT_NE(uri.status().message().find(c.mentions), std::string::npos)
        << c.text << " -> " << uri.status().message();
  }
  EXPECT_FALSE(ParseS3Uri("s3://" + std::string(256, 'a')).ok());
}

}  // namespace
}  // namespace thaw
