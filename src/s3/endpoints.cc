// Endpoint resolution for S3, SQS and STS (see endpoints.h).
#include "s3/endpoints.h"

#include <cctype>
#include <vector>

#include "common/strings.h"

namespace thaw::s3 {
namespace {

std::string Env(const EnvLookup& env, const std::string& name) {
  if (!env) return "";
  return env(name).value_or("");
}

std::string Value(const std::map<std::string, std::string>& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? "" : std::string(Trim(it->second));
}

bool IsTrue(const std::string& v) {
  return EqualsIgnoreCase(Trim(v), "true");
}

// The environment's setting if it has one, else the profile's.
bool Flag(const EnvLookup& env, const std::string& env_name,
          const std::map<std::string, std::string>& profile_values,
          std::initializer_list<std::string> profile_keys) {
  std::string v = Env(env, env_name);
  if (!Trim(v).empty()) return IsTrue(v);
  for (const std::string& key : profile_keys) {
    if (std::string p = Value(profile_values, key); !p.empty()) return IsTrue(p);
  }
  return false;
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

EndpointVariant ResolveEndpointVariant(const std::string& service,
                                       const std::map<std::string, std::string>& profile_values,
                                       const EnvLookup& env) {
  EndpointVariant v;
  v.fips = Flag(env, "AWS_USE_FIPS_ENDPOINT", profile_values, {"use_fips_endpoint"});
  if (service == "s3") {
    v.dualstack = Flag(env, "AWS_USE_DUALSTACK_ENDPOINT", profile_values,
                       {"use_dualstack_endpoint", "s3.use_dualstack_endpoint"});
  } else {
    v.dualstack =
        Flag(env, "AWS_USE_DUALSTACK_ENDPOINT", profile_values, {"use_dualstack_endpoint"});
  }
  return v;
}

Result<std::string> ConfiguredEndpointUrl(const std::string& service,
                                          const std::string& explicit_url,
                                          const std::map<std::string, std::string>& profile_values,
                                          const EnvLookup& env) {
  std::vector<std::string> candidates = {explicit_url};
  std::string ignore = Env(env, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
  if (Trim(ignore).empty()) ignore = Value(profile_values, "ignore_configured_endpoint_urls");
  if (!IsTrue(ignore)) {
    // The services section's keys reach the profile as "services:<service>.endpoint_url" (see
    // LoadProfile); "<service>.endpoint_url" nested in the profile itself is read too, as thaw
    // did before the services section was supported.
    candidates.insert(
        candidates.end(),
        {Env(env, "AWS_ENDPOINT_URL_" + Upper(service)), Env(env, "AWS_ENDPOINT_URL"),
         Value(profile_values, "services:" + service + ".endpoint_url"),
         Value(profile_values, service + ".endpoint_url"), Value(profile_values, "endpoint_url")});
  }
  for (std::string url : candidates) {
    url = std::string(Trim(url));
    if (url.empty()) continue;
    while (EndsWith(url, "/")) url.pop_back();
    if (!StartsWith(url, "http://") && !StartsWith(url, "https://")) {
      return Status::InvalidArgument(service + " endpoint URL '" + url +
                                     "' must start with http:// or https://");
    }
    std::string_view rest = std::string_view(url).substr(url.find("://") + 3);
    if (rest.empty() || rest.front() == '/') {
      return Status::InvalidArgument(service + " endpoint URL '" + url + "' names no host");
    }
    return url;
  }
  return std::string();
}

std::string AwsEndpointUrl(const std::string& service, const std::string& region,
                           const EndpointVariant& variant) {
  bool china = StartsWith(region, "cn-");
  std::string suffix = china ? "amazonaws.com.cn" : "amazonaws.com";
  std::string name = service + (variant.fips ? "-fips" : "");
  if (service == "s3") {
    // S3 keeps its own dual-stack names: s3[-fips].dualstack.REGION.amazonaws.com.
    return "https://" + name + (variant.dualstack ? ".dualstack." : ".") + region + "." + suffix;
  }
  if (variant.dualstack) {
    return "https://" + name + "." + region + "." +
           (china ? "api.amazonwebservices.com.cn" : "api.aws");
  }
  return "https://" + name + "." + region + "." + suffix;
}

Result<AddressingStyle> ParseAddressingStyle(const std::string& value) {
  std::string v = ToLower(Trim(value));
  if (v.empty() || v == "auto") return AddressingStyle::kAuto;
  if (v == "virtual") return AddressingStyle::kVirtual;
  if (v == "path") return AddressingStyle::kPath;
  return Status::InvalidArgument("s3 addressing_style must be auto, virtual or path, not '" +
                                 value + "'");
}

bool IsVirtualHostableBucket(const std::string& bucket) {
  if (bucket.size() < 3 || bucket.size() > 63) return false;
  for (char c : bucket) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return false;
  }
  return bucket.front() != '-' && bucket.back() != '-';
}

}  // namespace thaw::s3
