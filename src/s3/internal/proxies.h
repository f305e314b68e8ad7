// Internal to the s3 module: the HTTP proxies of the environment, with botocore's reading of
// them (Python's urllib): https_proxy / HTTPS_PROXY for https:// URLs, http_proxy / HTTP_PROXY
// for http:// ones, no_proxy / NO_PROXY for the hosts that bypass them; the lower-case name wins.
// libcurl alone would ignore HTTP_PROXY (its guard against "httpoxy" in CGI programs, which
// thaw is not), so the curl transport sets what this returns explicitly.
#pragma once

#include <string>

#include "s3/credentials.h"

namespace thaw::s3::internal {

struct ProxySettings {
  std::string http_proxy;   // "" : no proxy for http:// URLs
  std::string https_proxy;  // "" : no proxy for https:// URLs
  // Hosts that bypass the proxy, in curl's syntax (comma-separated names, domain suffixes,
  // "*"), which is also what botocore accepts.
  std::string no_proxy;
};

ProxySettings ProxiesFromEnv(const EnvLookup& env);

}  // namespace thaw::s3::internal
