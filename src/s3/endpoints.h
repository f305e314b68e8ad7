// Where the AWS services thaw talks to (S3, SQS, STS) are reached: the endpoint a user configured
// for a service, else the host name AWS documents for the region with the FIPS and dual-stack
// variants, and how a bucket is addressed on S3 (virtual-hosted or path style).
//
// Configured endpoints follow the AWS SDKs' order (sdkref "Service-specific endpoints"):
//   1. the explicit URL (--endpoint-url, --sqs-endpoint-url)
//   2. AWS_ENDPOINT_URL_<SERVICE> (S3, SQS, STS)
//   3. AWS_ENDPOINT_URL
//   4. the profile's services section: `services = NAME` and, in the config file,
//      [services NAME] with `s3 =` / `sqs =` / `sts =` and an indented `endpoint_url = URL`
//   5. the profile's `endpoint_url`
// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true (or profile ignore_configured_endpoint_urls = true)
// skips 2-5; the explicit URL always counts.
//
// Pure functions; thread-safe.
#pragma once

#include <map>
#include <string>

#include "common/status.h"
#include "s3/credentials.h"

namespace thaw::s3 {

// FIPS 140 and dual-stack (IPv4 + IPv6) endpoint variants: AWS_USE_FIPS_ENDPOINT,
// AWS_USE_DUALSTACK_ENDPOINT, or the profile's use_fips_endpoint / use_dualstack_endpoint (the
// environment wins); S3 also reads `s3 =` / `use_dualstack_endpoint` nested in the profile.
struct EndpointVariant {
  bool fips = false;
  bool dualstack = false;
};

// `profile_values` are the profile's merged settings (ProfileSettings::values).
EndpointVariant ResolveEndpointVariant(const std::string& service,
                                       const std::map<std::string, std::string>& profile_values,
                                       const EnvLookup& env);

// The configured endpoint for `service` ("s3", "sqs", "sts") in the order above, without a
// trailing slash; "" when none is configured (the service's AWS endpoint applies).
// InvalidArgument for a URL that is not http(s)://HOST...
Result<std::string> ConfiguredEndpointUrl(const std::string& service,
                                          const std::string& explicit_url,
                                          const std::map<std::string, std::string>& profile_values,
                                          const EnvLookup& env);

// AWS's regional endpoint for `service` in `region`, as the endpoint rulesets build it:
//   s3:  https://s3.R.amazonaws.com, s3-fips.R, s3.dualstack.R, s3-fips.dualstack.R
//   sqs: https://sqs.R.amazonaws.com, sqs-fips.R.amazonaws.com; dual-stack sqs[-fips].R.api.aws
//   sts: https://sts.R.amazonaws.com, sts-fips.R.amazonaws.com; dual-stack sts[-fips].R.api.aws
// China regions (cn-*) end in amazonaws.com.cn (dual-stack: api.amazonwebservices.com.cn).
std::string AwsEndpointUrl(const std::string& service, const std::string& region,
                           const EndpointVariant& variant = {});

// S3 addressing (profile `s3 =` / `addressing_style`): auto (virtual-hosted on AWS endpoints,
// path style on custom ones and for bucket names that are not DNS labels), virtual, path.
enum class AddressingStyle { kAuto, kVirtual, kPath };
Result<AddressingStyle> ParseAddressingStyle(const std::string& value);

// True when `bucket` can be a DNS label for virtual-hosted addressing over TLS (3-63 characters
// of [a-z0-9-], no dots: a dot would break the *.s3 wildcard certificate).
bool IsVirtualHostableBucket(const std::string& bucket);

}  // namespace thaw::s3
