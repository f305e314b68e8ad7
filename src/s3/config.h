// Resolves where the client talks to: region, endpoint and addressing style, from command-line
// options, the environment and the profile, in the AWS CLI's order:
//   region:   --region, AWS_REGION, AWS_DEFAULT_REGION, profile `region`, else us-east-1
//   endpoint: --endpoint-url, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, profile `endpoint_url`
//             (or `s3 = \n endpoint_url = ...` sub-section), else AWS
//   TLS:      AWS_CA_BUNDLE or profile `ca_bundle`; verification always on unless disabled
#pragma once

#include <string>

#include "common/status.h"
#include "s3/client.h"
#include "s3/credentials.h"

namespace thaw::s3 {

struct GlobalOptions {
  std::string endpoint_url;
  std::string region;
  std::string profile;
  bool no_sign_request = false;
  bool no_verify_ssl = false;
  int max_attempts = 0;  // 0: AWS_MAX_ATTEMPTS, profile max_attempts, else 3
};

Result<ClientConfig> ResolveClientConfig(const GlobalOptions& options, const EnvLookup& env);

// Builds the URL for bucket/key (key unencoded; encoded here segment by segment) plus an
// already-encoded query string ("" or "a=b&c"). Decides path vs virtual-hosted style.
std::string BuildObjectUrl(const ClientConfig& config, const std::string& bucket,
                           const std::string& key, const std::string& query);

// True when `bucket` can be a DNS label for virtual-hosted addressing (no dots, lower case,
// 3-63 characters of [a-z0-9-]).
bool IsVirtualHostableBucket(const std::string& bucket);

}  // namespace thaw::s3
