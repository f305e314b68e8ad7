// Issuing and remembering the sim's temporary credentials (see sts_sessions.h).
#include "sim/sts_sessions.h"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <cstdint>
#include <cstdlib>
#include <functional>
#include <vector>

#include "sim/store.h"

namespace thaw::sim {
namespace {

// `n` characters drawn from `alphabet` with OpenSSL's CSPRNG: these are secrets.
std::string RandomString(size_t n, std::string_view alphabet) {
  std::vector<unsigned char> bytes(n);
  if (RAND_bytes(bytes.data(), static_cast<int>(n)) != 1) {
    // Not expected; refuse to hand out guessable secrets rather than fall back silently.
    std::abort();
  }
  std::string s;
  s.reserve(n);
  for (unsigned char b : bytes) s += alphabet[b % alphabet.size()];
  return s;
}

constexpr std::string_view kUpperDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";  // 32: no bias
constexpr std::string_view kBase64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";  // 64: no bias

}  // namespace

Status StsSessions::Attach(Store* store) {
  // Sessions expired for more than a day are of no use to anyone (ExpiredToken is answered the
  // same for unknown keys past that point): dropped rather than loaded.
  Status pruned = store->DeleteStsSessionsExpiredBefore(clock_.Now() - std::chrono::hours(24));
  if (!pruned.ok()) return pruned.WithContext("STS sessions");
  Result<std::vector<StsSession>> kept = store->ListStsSessions();
  if (!kept.ok()) return kept.status().WithContext("STS sessions");
  std::lock_guard<std::mutex> lock(mu_);
  for (StsSession& s : *kept) by_key_[s.access_key] = std::move(s);
  store_ = store;
  return Status::Ok();
}

StsSession StsSessions::Issue(const std::string& role_arn, const std::string& session_name,
                              std::chrono::seconds duration) {
  // arn:aws:iam::123456789012:role/path/Name -> account and role name (the last path part).
  size_t colon = role_arn.find(':', 4);
  std::string partition = role_arn.substr(4, colon - 4);
  std::string account = role_arn.substr(role_arn.find("::") + 2);
  account = account.substr(0, account.find(':'));
  std::string role_name = role_arn.substr(role_arn.rfind('/') + 1);
  StsSession s;
  s.access_key = "ASIA" + RandomString(16, kUpperDigits);
  s.secret_key = RandomString(40, kBase64);
  s.session_token = "FwoGZXIvYXdzEThawSim" + RandomString(300, kBase64);
  s.expiration = clock_.Now() + duration;
  s.account_id = account;
  s.assumed_role_arn =
      "arn:" + partition + ":sts::" + account + ":assumed-role/" + role_name + "/" + session_name;
  // A role's id is stable in AWS (AROA + 17 characters): derived from the ARN here.
  std::string role_id = "AROA";
  for (uint64_t h = std::hash<std::string>{}(role_arn), i = 0; i < 17; ++i, h = h * 31 + 7) {
    role_id += kUpperDigits[(h >> 7) % kUpperDigits.size()];
  }
  s.assumed_role_id = role_id + ":" + session_name;
  std::lock_guard<std::mutex> lock(mu_);
  if (by_key_.size() > kPruneAbove) {
    Clock::TimePoint cutoff = clock_.Now() - std::chrono::hours(24);
    for (auto it = by_key_.begin(); it != by_key_.end();) {
      it = it->second.expiration < cutoff ? by_key_.erase(it) : std::next(it);
    }
  }
  by_key_[s.access_key] = s;
  if (store_ != nullptr) {
    // The session works for this run either way; only a restart would forget it.
    Status saved = store_->PutStsSession(s);
    if (!saved.ok()) spdlog::warn("sim: STS session not saved: {}", saved.message());
  }
  return s;
}

std::optional<StsSession> StsSessions::Find(const std::string& access_key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_key_.find(access_key);
  if (it == by_key_.end()) return std::nullopt;
  return it->second;
}

void StsSessions::Count(const std::string& action) {
  std::lock_guard<std::mutex> lock(mu_);
  ++counts_[action];
}

std::map<std::string, int> StsSessions::counts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counts_;
}

size_t StsSessions::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return by_key_.size();
}

}  // namespace thaw::sim
