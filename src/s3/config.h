// Resolves where the client talks to: region, endpoint and addressing style, from command-line
// options, the environment and the profile, in the AWS CLI's order:
//   region:   --region, AWS_REGION, AWS_DEFAULT_REGION, profile `region`, else us-east-1
//   endpoint: --endpoint-url, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile's services
//             section, profile `endpoint_url` (s3/endpoints.h), else AWS's regional endpoint
//             with the FIPS / dual-stack variant the environment or profile asks for
//   style:    profile `s3 =` / `addressing_style` (auto, virtual, path); auto is virtual-hosted on
//             AWS and path style on custom endpoints and for bucket names with dots
//   TLS:      AWS_CA_BUNDLE or profile `ca_bundle`; verification always on unless disabled
//   proxies:  read by the transport itself (s3/internal/proxies.h)
#pragma once

#include <string>

#include "common/status.h"
#include "s3/client.h"
#include "s3/credentials.h"
#include "s3/endpoints.h"

namespace thaw::s3 {

struct GlobalOptions {
  std::string endpoint_url;
  std::string region;
  std::string profile;
  bool no_sign_request = false;
  bool no_verify_ssl = false;
  int max_attempts = 0;  // 0: AWS_MAX_ATTEMPTS, profile max_attempts, else 3
  // --request-payer: "requester" sends x-amz-request-payer on every S3 call (requester-pays
  // buckets); "" sends nothing.
  std::string request_payer;
};

Result<ClientConfig> ResolveClientConfig(const GlobalOptions& options, const EnvLookup& env);

// Builds the URL for bucket/key (key unencoded; encoded here segment by segment) plus an
// already-encoded query string ("" or "a=b&c"). Decides path vs virtual-hosted style. `region`
// picks the AWS endpoint (the bucket's region once learnt); custom endpoints ignore it.
std::string BuildObjectUrl(const ClientConfig& config, const std::string& region,
                           const std::string& bucket, const std::string& key,
                           const std::string& query);
inline std::string BuildObjectUrl(const ClientConfig& config, const std::string& bucket,
                                  const std::string& key, const std::string& query) {
  return BuildObjectUrl(config, config.region, bucket, key, query);
}

}  // namespace thaw::s3
