// Shared setup for integration tests against moto_server: a server per test fixture and our
// real HTTP client pointed at it with static test credentials.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "s3/client.h"
#include "s3/credentials.h"
#include "support/boto3.h"
#include "support/process.h"

namespace thaw::testing {

inline std::unique_ptr<s3::S3Client> MakeMotoClient(const std::string& endpoint,
                                                    const std::string& access_key = "testing",
                                                    const std::string& secret = "testing",
                                                    int max_attempts = 3) {
  s3::ClientConfig config;
  config.endpoint_url = endpoint;
  config.force_path_style = true;
  config.region = "us-east-1";
  config.retry.max_attempts = max_attempts;
  config.retry.base_delay = std::chrono::milliseconds(10);
  s3::Credentials creds;
  creds.access_key_id = access_key;
  creds.secret_access_key = secret;
  creds.source = "test";
  return s3::MakeHttpClient(config, s3::MakeStaticProvider(creds));
}

class MotoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    moto_ = std::make_unique<MotoServer>();
    ASSERT_TRUE(moto_->ok()) << "moto_server did not start; log: " << moto_->log_path();
    client_ = MakeMotoClient(moto_->endpoint());
  }

  std::unique_ptr<MotoServer> moto_;
  std::unique_ptr<s3::S3Client> client_;
};

}  // namespace thaw::testing
