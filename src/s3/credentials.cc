// The simple credential sources (explicit, environment), the chain that tries sources in order,
// the cache that refreshes temporary credentials, and the default chain. The profile source is
// credentials_profile.cc (with credentials_process.cc and credentials_sts.cc); the metadata
// sources (container, instance metadata) live in credentials_remote.cc.
//
// What counts as "not found" and what is an error follows botocore: a source is consulted only
// when its trigger is present (AWS_ACCESS_KEY_ID, the profile's aws_access_key_id, ...); once
// triggered, anything missing or broken is an error the chain reports instead of silently
// falling through to another identity.
#include "s3/credentials.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>

#include "common/strings.h"
#include "common/time_format.h"
#include "s3/internal/shared_config.h"

namespace thaw::s3 {
namespace {

using internal::EnvValue;

class StaticProvider : public CredentialsProvider {
 public:
  explicit StaticProvider(Credentials creds) : creds_(std::move(creds)) {
    if (creds_.source.empty()) creds_.source = "static";
  }

  Result<Credentials> Get() override {
    if (creds_.access_key_id.empty() && creds_.secret_access_key.empty() &&
        creds_.session_token.empty()) {
      return Status::NotFound("no credentials given");
    }
    if (creds_.empty()) {
      return Status::InvalidArgument(
          "an access key id and a secret access key must be given together");
    }
    return creds_;
  }
  std::string name() const override { return creds_.source; }

 private:
  Credentials creds_;
};

class EnvironmentProvider : public CredentialsProvider {
 public:
  explicit EnvironmentProvider(EnvLookup env) : env_(std::move(env)) {}

  Result<Credentials> Get() override {
    Credentials c;
    c.source = name();
    c.access_key_id = EnvValue(env_, "AWS_ACCESS_KEY_ID");
    if (c.access_key_id.empty()) return Status::NotFound("AWS_ACCESS_KEY_ID is not set");
    c.secret_access_key = EnvValue(env_, "AWS_SECRET_ACCESS_KEY");
    if (c.secret_access_key.empty()) {
      return Status::InvalidArgument("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
    }
    // AWS_SECURITY_TOKEN is boto's old name; the SDKs settled on AWS_SESSION_TOKEN.
    c.session_token = EnvValue(env_, "AWS_SESSION_TOKEN");
    if (c.session_token.empty()) c.session_token = EnvValue(env_, "AWS_SECURITY_TOKEN");
    std::string expiry = EnvValue(env_, "AWS_CREDENTIAL_EXPIRATION");
    if (!expiry.empty()) {
      c.expiration = ParseIso8601(expiry);
      if (!c.expiration) {
        return Status::InvalidArgument("AWS_CREDENTIAL_EXPIRATION is not an ISO 8601 time");
      }
    }
    return c;
  }
  std::string name() const override { return "environment"; }

 private:
  EnvLookup env_;
};

class ChainProvider : public CredentialsProvider {
 public:
  explicit ChainProvider(std::vector<std::unique_ptr<CredentialsProvider>> providers)
      : providers_(std::move(providers)) {}

  Result<Credentials> Get() override {
    std::string tried;
    for (const auto& p : providers_) {
      Result<Credentials> r = p->Get();
      if (r.ok()) {
        spdlog::debug("credentials: using {}", p->name());
        return r;
      }
      if (!r.status().IsNotFound()) {
        // The profile source names its profile (and the source profile at fault) itself.
        if (StartsWith(r.status().message(), "profile '")) return r.status();
        return r.status().WithContext(p->name());
      }
      spdlog::debug("credentials: {}: {}", p->name(), r.status().message());
      tried += (tried.empty() ? "" : ", ") + p->name();
    }
    return Status::NotFound(
        "no AWS credentials found (tried: " + (tried.empty() ? std::string("nothing") : tried) +
        "); set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, configure a "
        "profile (aws configure), or use --no-sign-request for public data");
  }
  std::string name() const override { return "credentials chain"; }

 private:
  std::vector<std::unique_ptr<CredentialsProvider>> providers_;
};

// Refreshes before expiry so that no request is signed with credentials about to lapse. One
// thread fetches at a time; while it does, others keep using credentials that have not expired
// yet rather than queueing behind a slow metadata call.
class RefreshingProvider : public CredentialsProvider {
 public:
  RefreshingProvider(std::unique_ptr<CredentialsProvider> inner, Clock& clock,
                     std::chrono::seconds margin)
      : inner_(std::move(inner)), clock_(clock), margin_(margin) {}

  Result<Credentials> Get() override {
    if (auto fresh = Cached(/*need_fresh=*/true)) return *fresh;
    std::unique_lock<std::mutex> fetching(fetch_mu_, std::try_to_lock);
    if (!fetching.owns_lock()) {
      if (auto usable = Cached(/*need_fresh=*/false)) return *usable;
      fetching.lock();
      if (auto fresh = Cached(/*need_fresh=*/true)) return *fresh;  // refreshed meanwhile
    }
    return Fetch();
  }
  std::string name() const override { return inner_->name(); }

 private:
  // After a failed refresh, or when fetched credentials are already inside the margin, wait this
  // long before asking again (a failing metadata service is not asked on every request).
  static constexpr std::chrono::seconds kRetryInterval{10};
  // The shortest time between two fetches of credentials that were fetched fine.
  static constexpr std::chrono::milliseconds kMinRefreshInterval{100};

  static bool Expired(const Credentials& c, Clock::TimePoint now) {
    return c.expiration && *c.expiration <= now;
  }

  std::optional<Credentials> Cached(bool need_fresh) const {
    std::lock_guard<std::mutex> lock(mu_);
    if (!cached_) return std::nullopt;
    Clock::TimePoint now = clock_.Now();
    bool good = need_fresh ? now < refresh_at_ : !Expired(*cached_, now);
    return good ? cached_ : std::nullopt;
  }

  Clock::TimePoint RefreshTime(const Credentials& c, Clock::TimePoint now) const {
    if (!c.expiration) return Clock::TimePoint::max();
    Clock::TimePoint at = *c.expiration - margin_;
    if (at > now) return at;
    // Shorter-lived than the margin (a role session of 15 minutes under a 20-minute margin, or
    // the sim's STS at --time-scale): refresh halfway to expiry, so that readers keep signing
    // with live credentials while one thread fetches. Never later than the expiry itself (that
    // would sign requests with dead credentials), and not in a tight loop for credentials that
    // come back already (nearly) expired.
    Clock::Duration half = (*c.expiration - now) / 2;
    return now + std::max<Clock::Duration>(half, kMinRefreshInterval);
  }

  // Called with fetch_mu_ held.
  Result<Credentials> Fetch() {
    Result<Credentials> fetched = inner_->Get();
    Clock::TimePoint now = clock_.Now();
    std::lock_guard<std::mutex> lock(mu_);
    if (fetched.ok()) {
      cached_ = *fetched;
      refresh_at_ = RefreshTime(*cached_, now);
      return fetched;
    }
    if (cached_ && !Expired(*cached_, now)) {
      spdlog::warn("credentials: refresh failed, using the current ones until they expire: {}",
                   fetched.status().message());
      refresh_at_ =
          std::min(now + kRetryInterval, cached_->expiration.value_or(now + kRetryInterval));
      return *cached_;
    }
    return fetched.status();
  }

  std::unique_ptr<CredentialsProvider> inner_;
  Clock& clock_;
  const std::chrono::seconds margin_;
  std::mutex fetch_mu_;    // held while calling inner_; taken before mu_, never after
  mutable std::mutex mu_;  // guards cached_ and refresh_at_
  std::optional<Credentials> cached_;
  Clock::TimePoint refresh_at_;
};

}  // namespace

EnvLookup ProcessEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

std::unique_ptr<CredentialsProvider> MakeStaticProvider(Credentials creds) {
  return std::make_unique<StaticProvider>(std::move(creds));
}

std::unique_ptr<CredentialsProvider> MakeEnvironmentProvider(EnvLookup env) {
  return std::make_unique<EnvironmentProvider>(std::move(env));
}

std::unique_ptr<CredentialsProvider> MakeChainProvider(
    std::vector<std::unique_ptr<CredentialsProvider>> providers) {
  return std::make_unique<ChainProvider>(std::move(providers));
}

std::unique_ptr<CredentialsProvider> MakeRefreshingProvider(
    std::unique_ptr<CredentialsProvider> inner, Clock& clock, std::chrono::seconds margin) {
  return std::make_unique<RefreshingProvider>(std::move(inner), clock, margin);
}

std::unique_ptr<CredentialsProvider> MakeDefaultCredentialsChain(const CredentialsOptions& options,
                                                                 const EnvLookup& env,
                                                                 HttpTransport& http, Clock& clock,
                                                                 HttpTransport* metadata_http) {
  if (options.no_sign_request) return nullptr;
  std::vector<std::unique_ptr<CredentialsProvider>> providers;
  if (!options.access_key_id.empty() || !options.secret_access_key.empty() ||
      !options.session_token.empty()) {
    Credentials c;
    c.access_key_id = options.access_key_id;
    c.secret_access_key = options.secret_access_key;
    c.session_token = options.session_token;
    c.source = "command line";
    providers.push_back(MakeStaticProvider(std::move(c)));
  }
  // botocore drops the environment's keys when a profile is named explicitly.
  if (options.profile.empty()) providers.push_back(MakeEnvironmentProvider(env));
  HttpTransport& metadata = metadata_http != nullptr ? *metadata_http : http;
  ProfileProviderOptions profile_options;
  profile_options.sts_http = &http;
  profile_options.metadata_http = &metadata;
  profile_options.clock = &clock;
  profile_options.region = options.region;
  profile_options.process_timeout = options.process_timeout;
  providers.push_back(MakeProfileProvider(options.profile, env, std::move(profile_options)));
  providers.push_back(MakeContainerProvider(env, metadata));
  providers.push_back(MakeImdsProvider(env, metadata));
  return MakeRefreshingProvider(MakeChainProvider(std::move(providers)), clock,
                                options.refresh_margin);
}

}  // namespace thaw::s3
