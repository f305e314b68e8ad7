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

Status ValidateEndpoint(const std::string& url) {
  if (!StartsWith(url, "http://") && !StartsWith(url, "https://")) {
    return Status::InvalidArgument("endpoint URL '" + url +
                                   "' must start with http:// or https://");
  }
  std::string_view rest = std::string_view(url).substr(url.find("://") + 3);
  if (rest.empty() || rest.front() == '/') {
    return Status::InvalidArgument("endpoint URL '" + url + "' names no host");
  }
  return Status::Ok();
}

}  // namespace

bool IsVirtualHostableBucket(const std::string& bucket) {
  if (bucket.size() < 3 || bucket.size() > 63) return false;
  for (char c : bucket) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return false;
  }
  return bucket.front() != '-' && bucket.back() != '-';
}

Result<ClientConfig> ResolveClientConfig(const GlobalOptions& options, const EnvLookup& env) {
  ClientConfig config;
  // A named profile that does not exist, or a malformed shared file, is an error (as in the
  // AWS CLI); a missing "default" profile is not.
  THAW_ASSIGN_OR_RETURN(ProfileSettings profile, LoadProfile(options.profile, env));

  config.region =
      FirstNonEmpty({options.region, EnvOr(env, "AWS_REGION"), EnvOr(env, "AWS_DEFAULT_REGION"),
                     profile.Get("region"), "us-east-1"});
  config.endpoint_url = FirstNonEmpty(
      {options.endpoint_url, EnvOr(env, "AWS_ENDPOINT_URL_S3"), EnvOr(env, "AWS_ENDPOINT_URL"),
       profile.Get("s3.endpoint_url"), profile.Get("endpoint_url")});
  while (EndsWith(config.endpoint_url, "/")) config.endpoint_url.pop_back();
  if (!config.endpoint_url.empty()) {
    THAW_RETURN_IF_ERROR(ValidateEndpoint(config.endpoint_url));
    // Custom endpoints (MinIO, moto, thaw sim) rarely have wildcard DNS for buckets.
    config.force_path_style = true;
  }
  if (profile.Get("s3.addressing_style") == "path") config.force_path_style = true;

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

std::string BuildObjectUrl(const ClientConfig& config, const std::string& bucket,
                           const std::string& key, const std::string& query) {
  std::string scheme_host;
  bool path_style = config.force_path_style || !IsVirtualHostableBucket(bucket);
  if (!config.endpoint_url.empty()) {
    scheme_host = config.endpoint_url;
  } else {
    scheme_host = "https://s3." + config.region + ".amazonaws.com";
  }
  std::string url;
  if (path_style || bucket.empty()) {
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
