// Region, endpoint and addressing resolution, and URL building.
#include "s3/config.h"

#include <gtest/gtest.h>

#include <map>

#include "support/test_env.h"

namespace thaw::s3 {
namespace {

EnvLookup MapEnv(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

class ConfigTest : public ::testing::Test {
 protected:
  std::map<std::string, std::string> Env(std::map<std::string, std::string> extra = {}) {
    extra.emplace("AWS_CONFIG_FILE", dir_.path() + "/config");
    extra.emplace("AWS_SHARED_CREDENTIALS_FILE", dir_.path() + "/credentials");
    extra.emplace("HOME", dir_.path());
    return extra;
  }
  thaw::testing::TempDir dir_;
};

TEST_F(ConfigTest, DefaultsToUsEast1OnAws) {
  auto c = ResolveClientConfig({}, MapEnv(Env()));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->region, "us-east-1");
  EXPECT_TRUE(c->endpoint_url.empty());
  EXPECT_FALSE(c->force_path_style);
  EXPECT_TRUE(c->transport.verify_tls);
  EXPECT_EQ(c->retry.max_attempts, 3);
}

TEST_F(ConfigTest, RegionPrecedence) {
  dir_.WriteFile("config", "[default]\nregion = eu-west-1\n[profile other]\nregion = ap-south-1\n");
  EXPECT_EQ(ResolveClientConfig({}, MapEnv(Env()))->region, "eu-west-1");
  EXPECT_EQ(ResolveClientConfig({}, MapEnv(Env({{"AWS_DEFAULT_REGION", "us-west-1"}})))->region,
            "us-west-1");
  EXPECT_EQ(ResolveClientConfig(
                {}, MapEnv(Env({{"AWS_DEFAULT_REGION", "us-west-1"}, {"AWS_REGION", "us-west-2"}})))
                ->region,
            "us-west-2");
  GlobalOptions o;
  o.region = "sa-east-1";
  EXPECT_EQ(ResolveClientConfig(o, MapEnv(Env({{"AWS_REGION", "us-west-2"}})))->region,
            "sa-east-1");
  GlobalOptions p;
  p.profile = "other";
  EXPECT_EQ(ResolveClientConfig(p, MapEnv(Env()))->region, "ap-south-1");
  EXPECT_EQ(ResolveClientConfig({}, MapEnv(Env({{"AWS_PROFILE", "other"}})))->region, "ap-south-1");
}

TEST_F(ConfigTest, EndpointPrecedenceAndPathStyle) {
  dir_.WriteFile("config",
                 "[default]\nendpoint_url = http://from-profile:1\n"
                 "[profile sub]\ns3 =\n  endpoint_url = http://from-subsection:2\n");
  auto c = ResolveClientConfig({}, MapEnv(Env()));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->endpoint_url, "http://from-profile:1");
  EXPECT_TRUE(c->force_path_style);
  GlobalOptions sub;
  sub.profile = "sub";
  EXPECT_EQ(ResolveClientConfig(sub, MapEnv(Env()))->endpoint_url, "http://from-subsection:2");
  EXPECT_EQ(ResolveClientConfig({}, MapEnv(Env({{"AWS_ENDPOINT_URL", "http://generic:3"}})))
                ->endpoint_url,
            "http://generic:3");
  EXPECT_EQ(ResolveClientConfig({}, MapEnv(Env({{"AWS_ENDPOINT_URL", "http://generic:3"},
                                                {"AWS_ENDPOINT_URL_S3", "http://s3only:4/"}})))
                ->endpoint_url,
            "http://s3only:4");
  GlobalOptions o;
  o.endpoint_url = "http://flag:5";
  EXPECT_EQ(ResolveClientConfig(o, MapEnv(Env({{"AWS_ENDPOINT_URL_S3", "http://s3only:4"}})))
                ->endpoint_url,
            "http://flag:5");
}

TEST_F(ConfigTest, RejectsBadValues) {
  GlobalOptions o;
  o.endpoint_url = "ftp://x";
  EXPECT_TRUE(ResolveClientConfig(o, MapEnv(Env())).status().IsInvalidArgument());
  o.endpoint_url = "http://";
  EXPECT_TRUE(ResolveClientConfig(o, MapEnv(Env())).status().IsInvalidArgument());
  EXPECT_TRUE(ResolveClientConfig({}, MapEnv(Env({{"AWS_MAX_ATTEMPTS", "zero"}})))
                  .status()
                  .IsInvalidArgument());
  GlobalOptions missing;
  missing.profile = "nope";
  EXPECT_FALSE(ResolveClientConfig(missing, MapEnv(Env())).ok());
}

TEST_F(ConfigTest, CaBundleAndAttempts) {
  auto c = ResolveClientConfig(
      {}, MapEnv(Env({{"AWS_CA_BUNDLE", "/etc/ca.pem"}, {"AWS_MAX_ATTEMPTS", "7"}})));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->transport.ca_bundle, "/etc/ca.pem");
  EXPECT_EQ(c->retry.max_attempts, 7);
}

TEST(BuildObjectUrl, VirtualHostedOnAwsPathStyleElsewhere) {
  ClientConfig aws;
  aws.region = "eu-central-1";
  EXPECT_EQ(BuildObjectUrl(aws, "my-bucket", "a b/c+d", ""),
            "https://my-bucket.s3.eu-central-1.amazonaws.com/a%20b/c%2Bd");
  EXPECT_EQ(BuildObjectUrl(aws, "my-bucket", "", "list-type=2"),
            "https://my-bucket.s3.eu-central-1.amazonaws.com/?list-type=2");
  // Dots break the wildcard certificate: path-style.
  EXPECT_EQ(BuildObjectUrl(aws, "my.bucket", "k", ""),
            "https://s3.eu-central-1.amazonaws.com/my.bucket/k");
  ClientConfig local;
  local.endpoint_url = "http://127.0.0.1:9000";
  local.force_path_style = true;
  EXPECT_EQ(BuildObjectUrl(local, "b", "x/./y/ü", "restore"),
            "http://127.0.0.1:9000/b/x/./y/%C3%BC?restore");
  EXPECT_EQ(BuildObjectUrl(local, "b", "", ""), "http://127.0.0.1:9000/b");
}

TEST(IsVirtualHostableBucket, FollowsDnsRules) {
  EXPECT_TRUE(IsVirtualHostableBucket("abc"));
  EXPECT_TRUE(IsVirtualHostableBucket("my-bucket-01"));
  EXPECT_FALSE(IsVirtualHostableBucket("ab"));
  EXPECT_FALSE(IsVirtualHostableBucket("My-Bucket"));
  EXPECT_FALSE(IsVirtualHostableBucket("a.b.c"));
  EXPECT_FALSE(IsVirtualHostableBucket("-abc"));
  EXPECT_FALSE(IsVirtualHostableBucket(std::string(64, 'a')));
}

}  // namespace
}  // namespace thaw::s3
