// Helpers shared by the credentials tests: an environment in a map, a transport that records
// requests and answers from a script, credential JSON documents, and the secrets that must never
// show up in a message.
#pragma once

#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "s3/credentials.h"
#include "s3/http.h"

namespace thaw::s3::credtest {

// Values that look like real secrets; tests assert that no message ever contains them.
inline constexpr char kAccessKeyId[] = "AKIAIOSFODNN7EXAMPLE";
inline constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
inline constexpr char kSessionToken[] = "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN+secret/part==";

inline void ExpectNoSecrets(const Status& s, const std::vector<std::string>& more = {}) {
  std::vector<std::string> secrets = {kSecret, kSessionToken};
  secrets.insert(secrets.end(), more.begin(), more.end());
  for (const std::string& secret : secrets) {
    EXPECT_EQ(s.message().find(secret), std::string::npos)
        << "secret leaked into: " << s.ToString();
  }
}

// An environment held in a map that tests may change between calls.
class FakeEnv {
 public:
  FakeEnv() = default;
  FakeEnv(std::initializer_list<std::pair<const std::string, std::string>> vars) : vars_(vars) {}
  void Set(const std::string& name, const std::string& value) { vars_[name] = value; }
  void Unset(const std::string& name) { vars_.erase(name); }
  // The lookup reads this object: it must outlive every provider given the lookup.
  EnvLookup lookup() const {
    return [this](const std::string& name) -> std::optional<std::string> {
      auto it = vars_.find(name);
      if (it == vars_.end()) return std::nullopt;
      return it->second;
    };
  }

 private:
  std::map<std::string, std::string> vars_;
};

// Records requests and answers each with the next scripted response (or a fixed fallback).
class RecordingTransport : public HttpTransport {
 public:
  Result<HttpResponse> Send(const HttpRequest& request, const BodySink& = nullptr) override {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back(request);
    if (script_.empty()) return fallback_;
    Result<HttpResponse> r = script_.front();
    script_.pop_front();
    return r;
  }
  void Push(Result<HttpResponse> r) {
    std::lock_guard<std::mutex> lock(mu_);
    script_.push_back(std::move(r));
  }
  std::vector<HttpRequest> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  mutable std::mutex mu_;
  std::deque<Result<HttpResponse>> script_;
  std::vector<HttpRequest> requests_;
  Result<HttpResponse> fallback_ = Status::Unavailable("RecordingTransport: nothing scripted");
};

inline HttpResponse Answer(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

// The document container endpoints and IMDS answer with.
inline std::string CredentialsJson(const std::string& expiration = "2030-01-01T00:00:00Z",
                                   const std::string& key = kAccessKeyId,
                                   const std::string& secret = kSecret,
                                   const std::string& token = kSessionToken) {
  return R"({"Code":"Success","LastUpdated":"2023-11-14T22:13:20Z","Type":"AWS-HMAC",)"
         R"("AccessKeyId":")" +
         key + R"(","SecretAccessKey":")" + secret + R"(","Token":")" + token +
         R"(","Expiration":")" + expiration + R"("})";
}

}  // namespace thaw::s3::credtest
