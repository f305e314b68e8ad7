// The temporary credentials the sim's STS endpoint has issued (AssumeRole,
// AssumeRoleWithWebIdentity), so that its SigV4 check can accept them until they expire on the
// sim's scaled clock, and refuse them afterwards as AWS does (ExpiredToken). Issued keys start
// with ASIA like AWS's temporary keys; secrets and session tokens come from OpenSSL's CSPRNG.
//
// With a store attached (the sim's --data-dir), sessions are written through to it and read back
// at start: credentials a client holds keep working across a restart of the sim until they
// expire, as AWS's do. Without one (unit tests) they live in memory only.
//
// Thread safety: all methods may be called from any thread.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/status.h"

namespace thaw::sim {

class Store;

struct StsSession {
  std::string access_key;        // ASIA + 16 characters
  std::string secret_key;        // 40 characters
  std::string session_token;     // long, opaque
  Clock::TimePoint expiration;   // on the sim clock
  std::string assumed_role_arn;  // arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION
  std::string assumed_role_id;   // AROA...:SESSION
  std::string account_id;
};

class StsSessions {
 public:
  // `account_id`: the account of the sim's long-term key (GetCallerIdentity).
  StsSessions(Clock& sim_clock, std::string account_id)
      : clock_(sim_clock), account_id_(std::move(account_id)) {}

  // Loads the sessions `store` kept from earlier runs and writes every new one to it. Call
  // before serving; `store` must outlive this object.
  Status Attach(Store* store);

  // Issues credentials for `role_arn` (arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME, already
  // validated) valid for `duration` of sim time from now.
  StsSession Issue(const std::string& role_arn, const std::string& session_name,
                   std::chrono::seconds duration);
  std::optional<StsSession> Find(const std::string& access_key) const;
  bool Expired(const StsSession& s) const { return clock_.Now() >= s.expiration; }
  Clock& clock() const { return clock_; }
  const std::string& account_id() const { return account_id_; }

  // Calls per STS action (AssumeRole, ...), successful or not, for the admin endpoint.
  void Count(const std::string& action);
  std::map<std::string, int> counts() const;
  size_t size() const;

 private:
  // Past this many sessions, the ones expired for more than a day of sim time are forgotten.
  static constexpr size_t kPruneAbove = 10000;

  Clock& clock_;
  const std::string account_id_;
  Store* store_ = nullptr;
  mutable std::mutex mu_;  // guards everything below
  std::map<std::string, StsSession> by_key_;
  std::map<std::string, int> counts_;
};

}  // namespace thaw::sim
