// Client configuration resolution and URL building (see config.h).
#include "s3/config.h"

#include "common/strings.h"

namespace thaw::s3 {
namespace {

std::string FirstNonEmpty(std::initializer_list<std::string> values) {
  for (const auto& v : values) {
    if (!v.empty()) return v;
  }
  return "";
}

std::string EnvOr(const EnvLookup& env, const char* name) {
  auto v = env(name);
  return v ? *v : "";
}

}  // namespace

Result<ClientConfig> ResolveClientConfig(const GlobalOptions& options, const EnvLookup& env) {
  ClientConfig config;
  // A named profile that does not exist, or a malformed shared file, is an error (as in the
  // AWS CLI); a missing "default" profile is not.
  THAW_ASSIGN_OR_RETURN(ProfileSettings profile, LoadProfile(options.profile, env));

  config.region =
      FirstNonEmpty({options.region, EnvOr(env, "AWS_REGION"), EnvOr(env, "AWS_DEFAULT_REGION"),
                     profile.Get("region"), "us-east-1"});
  THAW_ASSIGN_OR_RETURN(config.endpoint_url,
                        ConfiguredEndpointUrl("s3", options.endpoint_url, profile.values, env));
  config.variant = ResolveEndpointVariant("s3", profile.values, env);
  THAW_ASSIGN_OR_RETURN(AddressingStyle style,
                        ParseAddressingStyle(profile.Get("s3.addressing_style")));
  // auto: custom endpoints (MinIO, moto, thaw sim) rarely have wildcard DNS for buckets.
  config.force_path_style = style == AddressingStyle::kPath ||
                            (style == AddressingStyle::kAuto && !config.endpoint_url.empty());
  if (!options.request_payer.empty() && options.request_payer != "requester") {
    return Status::InvalidArgument("--request-payer must be 'requester', not '" +
                                   options.request_payer + "'");
  }
  config.request_payer = options.request_payer;

  config.transport.ca_bundle =
      FirstNonEmpty({EnvOr(env, "AWS_CA_BUNDLE"), profile.Get("ca_bundle")});
  config.transport.verify_tls = !options.no_verify_ssl;

  std::string attempts = FirstNonEmpty(
      {options.max_attempts > 0 ? std::to_string(options.max_attempts) : std::string(),
       EnvOr(env, "AWS_MAX_ATTEMPTS"), profile.Get("max_attempts")});
  if (!attempts.empty()) {
    auto n = ParseInt64(attempts);
    if (!n || *n < 1 || *n > 50) {
      return Status::InvalidArgument("max attempts must be a number from 1 to 50, got '" +
                                     attempts + "'");
    }
    config.retry.max_attempts = static_cast<int>(*n);
  }
  return config;
}

std::string BuildObjectUrl(const ClientConfig& config, const std::string& region,
                           const std::string& bucket, const std::string& key,
                           const std::string& query) {
  std::string scheme_host = config.endpoint_url.empty()
                                ? AwsEndpointUrl("s3", region, config.variant)
                                : config.endpoint_url;
  // A bucket that is not a DNS label (dots break the wildcard certificate, capitals and '_'
  // are not host names) always goes in the path.
  bool path_style = config.force_path_style || bucket.empty() || !IsVirtualHostableBucket(bucket);
  std::string url;
  if (path_style) {
    url = scheme_host + "/" + (bucket.empty() ? "" : UriEncode(bucket));
    if (!key.empty()) url += "/" + UriEncode(key, /*keep_slash=*/true);
  } else {
    size_t p = scheme_host.find("://") + 3;
    url = scheme_host.substr(0, p) + bucket + "." + scheme_host.substr(p) + "/" +
          UriEncode(key, /*keep_slash=*/true);
  }
  if (!query.empty()) url += "?" + query;
  return url;
}

}  // namespace thaw::s3
