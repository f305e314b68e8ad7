// An S3 client of ours for unit tests against a scripted endpoint (http_test_server.h): static
// test credentials, path-style addressing, one attempt per request unless told otherwise (a
// scripted failure should reach the code under test, not be retried away).
#pragma once

#include <memory>
#include <string>

#include "s3/client.h"
#include "s3/credentials.h"

namespace thaw::testing {

inline std::unique_ptr<s3::S3Client> MakeScriptedClient(const std::string& endpoint,
                                                        int max_attempts = 1) {
  s3::ClientConfig config;
  config.endpoint_url = endpoint;
  config.force_path_style = true;
  config.region = "us-east-1";
  config.retry.max_attempts = max_attempts;
  s3::Credentials creds;
  creds.access_key_id = "AKIDEXAMPLE";
  creds.secret_access_key = "secret";
  creds.source = "test";
  return s3::MakeHttpClient(config, s3::MakeStaticProvider(creds));
}

}  // namespace thaw::testing
