// Proxy settings of the environment (see internal/proxies.h).
#include "s3/internal/proxies.h"

namespace thaw::s3::internal {
namespace {

std::string First(const EnvLookup& env, const char* lower, const char* upper) {
  for (const char* name : {lower, upper}) {
    std::optional<std::string> v = env(name);
    if (v && !v->empty()) return *v;
  }
  return "";
}

}  // namespace

ProxySettings ProxiesFromEnv(const EnvLookup& env) {
  ProxySettings p;
  p.http_proxy = First(env, "http_proxy", "HTTP_PROXY");
  p.https_proxy = First(env, "https_proxy", "HTTPS_PROXY");
  p.no_proxy = First(env, "no_proxy", "NO_PROXY");
  return p;
}

}  // namespace thaw::s3::internal
