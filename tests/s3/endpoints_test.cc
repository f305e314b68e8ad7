// Endpoint resolution: AWS's host names with FIPS and dual-stack, the configured-endpoint order
// (explicit, AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, services section, profile
// endpoint_url), addressing style, proxies, --request-payer and the STS endpoint built from the
// same rules.
#include "s3/endpoints.h"

#include <gtest/gtest.h>

#include <map>

#include "s3/config.h"
#include "s3/internal/credential_sources.h"
#include "s3/internal/proxies.h"
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

TEST(AwsEndpointUrl, BuildsTheDocumentedHostNames) {
  EXPECT_EQ(AwsEndpointUrl("s3", "eu-west-1"), "https://s3.eu-west-1.amazonaws.com");
  EXPECT_EQ(AwsEndpointUrl("s3", "us-east-1", {true, false}),
            "https://s3-fips.us-east-1.amazonaws.com");
  EXPECT_EQ(AwsEndpointUrl("s3", "us-west-2", {false, true}),
            "https://s3.dualstack.us-west-2.amazonaws.com");
  EXPECT_EQ(AwsEndpointUrl("s3", "us-west-2", {true, true}),
            "https://s3-fips.dualstack.us-west-2.amazonaws.com");
  EXPECT_EQ(AwsEndpointUrl("s3", "cn-north-1"), "https://s3.cn-north-1.amazonaws.com.cn");
  EXPECT_EQ(AwsEndpointUrl("s3", "cn-north-1", {false, true}),
            "https://s3.dualstack.cn-north-1.amazonaws.com.cn");

  EXPECT_EQ(AwsEndpointUrl("sqs", "eu-west-1"), "https://sqs.eu-west-1.amazonaws.com");
  EXPECT_EQ(AwsEndpointUrl("sqs", "us-east-2", {true, false}),
            "https://sqs-fips.us-east-2.amazonaws.com");
  EXPECT_EQ(AwsEndpointUrl("sqs", "eu-west-1", {false, true}), "https://sqs.eu-west-1.api.aws");
  EXPECT_EQ(AwsEndpointUrl("sqs", "us-east-1", {true, true}), "https://sqs-fips.us-east-1.api.aws");
  EXPECT_EQ(AwsEndpointUrl("sqs", "cn-northwest-1"), "https://sqs.cn-northwest-1.amazonaws.com.cn");

  EXPECT_EQ(AwsEndpointUrl("sts", "ap-south-1"), "https://sts.ap-south-1.amazonaws.com");
  EXPECT_EQ(AwsEndpointUrl("sts", "us-west-2", {true, false}),
            "https://sts-fips.us-west-2.amazonaws.com");
  EXPECT_EQ(AwsEndpointUrl("sts", "us-west-2", {false, true}), "https://sts.us-west-2.api.aws");
  EXPECT_EQ(AwsEndpointUrl("sts", "cn-north-1", {false, true}),
            "https://sts.cn-north-1.api.amazonwebservices.com.cn");
}

TEST(ResolveEndpointVariant, EnvironmentWinsOverProfile) {
  std::map<std::string, std::string> profile = {{"use_fips_endpoint", "true"},
                                                {"s3.use_dualstack_endpoint", "true"}};
  EndpointVariant v = ResolveEndpointVariant("s3", profile, MapEnv({}));
  EXPECT_TRUE(v.fips);
  EXPECT_TRUE(v.dualstack);
  // The nested s3 setting is S3's alone.
  EXPECT_FALSE(ResolveEndpointVariant("sqs", profile, MapEnv({})).dualstack);
  v = ResolveEndpointVariant("s3", profile, MapEnv({{"AWS_USE_FIPS_ENDPOINT", "false"}}));
  EXPECT_FALSE(v.fips);
  v = ResolveEndpointVariant("sts", {}, MapEnv({{"AWS_USE_DUALSTACK_ENDPOINT", "TRUE"}}));
  EXPECT_TRUE(v.dualstack);
  EXPECT_FALSE(v.fips);
}

TEST(ConfiguredEndpointUrl, FollowsTheSdkOrder) {
  std::map<std::string, std::string> profile = {{"endpoint_url", "http://profile:1"},
                                                {"services:s3.endpoint_url", "http://services:2"},
                                                {"services:sts.endpoint_url", "http://sts:3/"}};
  std::map<std::string, std::string> env = {{"AWS_ENDPOINT_URL", "http://global-env:4"},
                                            {"AWS_ENDPOINT_URL_S3", "http://s3-env:5"}};
  EXPECT_EQ(*ConfiguredEndpointUrl("s3", "http://flag:6", profile, MapEnv(env)), "http://flag:6");
  EXPECT_EQ(*ConfiguredEndpointUrl("s3", "", profile, MapEnv(env)), "http://s3-env:5");
  EXPECT_EQ(*ConfiguredEndpointUrl("sqs", "", profile, MapEnv(env)), "http://global-env:4");
  EXPECT_EQ(*ConfiguredEndpointUrl("s3", "", profile, MapEnv({})), "http://services:2");
  EXPECT_EQ(*ConfiguredEndpointUrl("sts", "", profile, MapEnv({})), "http://sts:3");
  EXPECT_EQ(*ConfiguredEndpointUrl("sqs", "", profile, MapEnv({})), "http://profile:1");
  EXPECT_EQ(*ConfiguredEndpointUrl("sqs", "", {}, MapEnv({})), "");
  // Ignoring configured endpoints leaves only the explicit one.
  std::map<std::string, std::string> ignore = env;
  ignore["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"] = "true";
  EXPECT_EQ(*ConfiguredEndpointUrl("s3", "", profile, MapEnv(ignore)), "");
  EXPECT_EQ(*ConfiguredEndpointUrl("s3", "http://flag:6", profile, MapEnv(ignore)),
            "http://flag:6");
  profile["ignore_configured_endpoint_urls"] = "true";
  EXPECT_EQ(*ConfiguredEndpointUrl("s3", "", profile, MapEnv({})), "");
  EXPECT_TRUE(ConfiguredEndpointUrl("s3", "ftp://x", {}, MapEnv({})).status().IsInvalidArgument());
}

class EndpointConfigTest : public ::testing::Test {
 protected:
  std::map<std::string, std::string> Env(std::map<std::string, std::string> extra = {}) {
    extra.emplace("AWS_CONFIG_FILE", dir_.path() + "/config");
    extra.emplace("AWS_SHARED_CREDENTIALS_FILE", dir_.path() + "/credentials");
    extra.emplace("HOME", dir_.path());
    return extra;
  }
  thaw::testing::TempDir dir_;
};

TEST_F(EndpointConfigTest, ServicesSectionOfTheConfigFile) {
  dir_.WriteFile("config",
                 "[profile dev]\nservices = local\nendpoint_url = http://everything:1\n"
                 "[services local]\ns3 =\n  endpoint_url = http://s3-local:2\n"
                 "sts =\n  endpoint_url = http://sts-local:3\n");
  GlobalOptions o;
  o.profile = "dev";
  auto c = ResolveClientConfig(o, MapEnv(Env()));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->endpoint_url, "http://s3-local:2");
  EXPECT_TRUE(c->force_path_style);  // auto on a custom endpoint
  // STS reads the same section (the credentials chain's AssumeRole endpoint).
  auto profile = LoadProfile("dev", MapEnv(Env()));
  ASSERT_TRUE(profile.ok());
  auto sts = internal::ResolveStsEndpoint("eu-west-1", profile->values, MapEnv(Env()));
  ASSERT_TRUE(sts.ok());
  EXPECT_EQ(sts->url, "http://sts-local:3");
  EXPECT_EQ(sts->signing_region, "eu-west-1");
  // Services without an entry fall back to the profile's endpoint_url.
  EXPECT_EQ(*ConfiguredEndpointUrl("sqs", "", profile->values, MapEnv(Env())),
            "http://everything:1");
}

TEST_F(EndpointConfigTest, StsFipsAndDualStack) {
  auto fips = internal::ResolveStsEndpoint("us-east-2", {},
                                           MapEnv(Env({{"AWS_USE_FIPS_ENDPOINT", "true"}})));
  ASSERT_TRUE(fips.ok());
  EXPECT_EQ(fips->url, "https://sts-fips.us-east-2.amazonaws.com");
  auto dual = internal::ResolveStsEndpoint("eu-west-1", {{"use_dualstack_endpoint", "true"}},
                                           MapEnv(Env()));
  EXPECT_EQ(dual->url, "https://sts.eu-west-1.api.aws");
  EXPECT_EQ(internal::ResolveStsEndpoint("eu-west-1", {}, MapEnv(Env()))->url,
            "https://sts.eu-west-1.amazonaws.com");
}

TEST_F(EndpointConfigTest, AddressingStyleFipsDualStackOnS3) {
  dir_.WriteFile("config",
                 "[default]\nregion = us-west-2\nuse_fips_endpoint = true\n"
                 "s3 =\n  addressing_style = path\n  use_dualstack_endpoint = true\n"
                 "[profile virt]\nendpoint_url = http://minio.local:9000\n"
                 "s3 =\n  addressing_style = virtual\n"
                 "[profile bad]\ns3 =\n  addressing_style = sideways\n");
  auto c = ResolveClientConfig({}, MapEnv(Env()));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(c->force_path_style);
  EXPECT_EQ(BuildObjectUrl(*c, "bucket", "k", ""),
            "https://s3-fips.dualstack.us-west-2.amazonaws.com/bucket/k");
  GlobalOptions virt;
  virt.profile = "virt";
  c = ResolveClientConfig(virt, MapEnv(Env()));
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->force_path_style);  // virtual-hosted even on a custom endpoint, as asked
  EXPECT_EQ(BuildObjectUrl(*c, "bucket", "k", ""), "http://bucket.minio.local:9000/k");
  GlobalOptions bad;
  bad.profile = "bad";
  EXPECT_TRUE(ResolveClientConfig(bad, MapEnv(Env())).status().IsInvalidArgument());
}

TEST(BuildObjectUrlForRegion, LearntRegionPicksTheEndpoint) {
  ClientConfig aws;
  aws.region = "us-east-1";
  EXPECT_EQ(BuildObjectUrl(aws, "ap-southeast-2", "my-bucket", "a/b", "restore"),
            "https://my-bucket.s3.ap-southeast-2.amazonaws.com/a/b?restore");
  // Dots would break the *.s3 certificate: path style over TLS.
  EXPECT_EQ(BuildObjectUrl(aws, "eu-west-1", "data.example.org", "k", ""),
            "https://s3.eu-west-1.amazonaws.com/data.example.org/k");
  ClientConfig local;
  local.endpoint_url = "http://127.0.0.1:9000";
  local.force_path_style = true;
  EXPECT_EQ(BuildObjectUrl(local, "eu-west-1", "b", "k", ""), "http://127.0.0.1:9000/b/k");
}

TEST(ProxiesFromEnv, LowerCaseWinsAndUpperCaseHttpProxyCounts) {
  auto p = internal::ProxiesFromEnv(MapEnv({{"HTTPS_PROXY", "http://upper:1"},
                                            {"https_proxy", "http://lower:2"},
                                            {"HTTP_PROXY", "http://plain:3"},
                                            {"NO_PROXY", "localhost,.internal"}}));
  EXPECT_EQ(p.https_proxy, "http://lower:2");
  EXPECT_EQ(p.http_proxy, "http://plain:3");  // curl alone would ignore HTTP_PROXY
  EXPECT_EQ(p.no_proxy, "localhost,.internal");
  EXPECT_EQ(internal::ProxiesFromEnv(MapEnv({})).http_proxy, "");
}

TEST_F(EndpointConfigTest, RequestPayerIsRequesterOnly) {
  GlobalOptions o;
  o.request_payer = "requester";
  EXPECT_EQ(ResolveClientConfig(o, MapEnv(Env()))->request_payer, "requester");
  o.request_payer = "owner";
  EXPECT_TRUE(ResolveClientConfig(o, MapEnv(Env())).status().IsInvalidArgument());
}

}  // namespace
}  // namespace thaw::s3
