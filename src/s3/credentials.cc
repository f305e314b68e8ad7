// The local credential sources (explicit, environment, shared profile files), the chain that
// tries sources in order, the cache that refreshes temporary credentials, and the default chain.
// The network sources (container, instance metadata) live in credentials_remote.cc.
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
using internal::Section;

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

// Profile keys that make botocore fetch credentials in a way thaw does not implement. Skipping
// them would quietly pick another identity (say the instance role), so they are errors.
struct UnsupportedKey {
  const char* key;
  const char* what;
};
// These win over static keys in the credentials file (botocore's provider order)...
constexpr UnsupportedKey kBeforeStaticKeys[] = {
    {"role_arn", "role_arn (assume role)"},
    {"web_identity_token_file", "web_identity_token_file (web identity)"},
    {"sso_session", "sso_session (IAM Identity Center)"},
    {"sso_start_url", "sso_start_url (IAM Identity Center)"},
};
// ...and these only over static keys in the config file.
constexpr UnsupportedKey kBeforeConfigKeys[] = {
    {"login_session", "login_session (aws login)"},
    {"credential_process", "credential_process"},
};

class ProfileProvider : public CredentialsProvider {
 public:
  ProfileProvider(std::string profile, EnvLookup env)
      : explicit_(!profile.empty()),
        profile_(internal::ResolveProfileName(profile, env)),
        env_(std::move(env)) {}

  Result<Credentials> Get() override {
    THAW_ASSIGN_OR_RETURN(internal::ProfileSources src,
                          internal::LoadProfileSources(profile_, env_));
    THAW_RETURN_IF_ERROR(CheckWebIdentityEnv());
    THAW_RETURN_IF_ERROR(CheckUnsupported(src, kBeforeStaticKeys));
    if (HasKeyId(src.credentials)) return FromSection(*src.credentials, src.credentials_path);
    THAW_RETURN_IF_ERROR(CheckUnsupported(src, kBeforeConfigKeys));
    if (HasKeyId(src.config)) return FromSection(*src.config, src.config_path);
    std::string files = src.credentials_path + " or " + src.config_path;
    if (src.found()) return Status::NotFound("profile '" + profile_ + "' has no aws_access_key_id");
    // Only the default profile may be absent: a named one that is missing is a typo, and the
    // AWS CLI stops there too rather than using other credentials.
    if (profile_ == "default") return Status::NotFound("no default profile in " + files);
    return Status::InvalidArgument("profile '" + profile_ + "' not found in " + files);
  }
  std::string name() const override { return "profile " + profile_; }

 private:
  static bool HasKeyId(const std::optional<Section>& s) {
    if (!s) return false;
    auto it = s->find("aws_access_key_id");
    return it != s->end() && !it->second.empty();
  }

  static std::string Value(const Section& s, const char* key) {
    auto it = s.find(key);
    return it == s.end() ? "" : it->second;
  }

  Result<Credentials> FromSection(const Section& s, const std::string& path) const {
    Credentials c;
    c.source = name();
    c.access_key_id = Value(s, "aws_access_key_id");
    c.secret_access_key = Value(s, "aws_secret_access_key");
    if (c.secret_access_key.empty()) {
      return Status::InvalidArgument(path + ": profile '" + profile_ +
                                     "' has aws_access_key_id but no aws_secret_access_key");
    }
    c.session_token = Value(s, "aws_session_token");
    if (c.session_token.empty()) c.session_token = Value(s, "aws_security_token");
    return c;
  }

  Status Unsupported(const std::string& what) const {
    return Status::Unimplemented(
        "profile '" + profile_ + "' gets its credentials through " + what +
        ", which thaw does not support; export temporary credentials instead, e.g. with `aws "
        "configure export-credentials --profile " +
        profile_ + " --format env`");
  }

  template <size_t N>
  Status CheckUnsupported(const internal::ProfileSources& src,
                          const UnsupportedKey (&keys)[N]) const {
    for (const UnsupportedKey& k : keys) {
      bool in_creds = src.credentials && src.credentials->count(k.key) != 0;
      bool in_config = src.config && src.config->count(k.key) != 0;
      if (in_creds || in_config) return Unsupported(k.what);
    }
    return Status::Ok();
  }

  // EKS IAM roles for service accounts set these; botocore honours them unless --profile is
  // given, ahead of the shared files.
  Status CheckWebIdentityEnv() const {
    if (explicit_) return Status::Ok();
    if (EnvValue(env_, "AWS_WEB_IDENTITY_TOKEN_FILE").empty() ||
        EnvValue(env_, "AWS_ROLE_ARN").empty()) {
      return Status::Ok();
    }
    return Status::Unimplemented(
        "AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE ask for web identity credentials, which "
        "thaw does not support; use EKS Pod Identity or export temporary credentials");
  }

  bool explicit_;  // named by --profile (not AWS_PROFILE): environment settings do not apply
  std::string profile_;
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
      if (!r.status().IsNotFound()) return r.status().WithContext(p->name());
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
    // Shorter-lived than the margin: refresh halfway to expiry, but not in a tight loop.
    Clock::Duration half = (*c.expiration - now) / 2;
    return now + std::max<Clock::Duration>(half, kRetryInterval);
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

std::unique_ptr<CredentialsProvider> MakeProfileProvider(std::string profile, EnvLookup env) {
  return std::make_unique<ProfileProvider>(std::move(profile), std::move(env));
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
  providers.push_back(MakeProfileProvider(options.profile, env));
  HttpTransport& metadata = metadata_http != nullptr ? *metadata_http : http;
  providers.push_back(MakeContainerProvider(env, metadata));
  providers.push_back(MakeImdsProvider(env, metadata));
  return MakeRefreshingProvider(MakeChainProvider(std::move(providers)), clock,
                                options.refresh_margin);
}

}  // namespace thaw::s3
