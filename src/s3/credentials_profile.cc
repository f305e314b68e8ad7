// The profile credentials source: what a profile in the shared files (and, for web identity,
// the environment) says about credentials, resolved in botocore's order:
//   1. role_arn (without web_identity_token_file): AssumeRole with the credentials of
//      source_profile (itself resolved by these rules, in a chain of profiles) or of
//      credential_source (Environment, Ec2InstanceMetadata, EcsContainer);
//   2. web identity: AWS_WEB_IDENTITY_TOKEN_FILE / AWS_ROLE_ARN / AWS_ROLE_SESSION_NAME (unless
//      the profile was named with --profile) or the profile's web_identity_token_file /
//      role_arn / role_session_name: AssumeRoleWithWebIdentity, the token re-read every time;
//   3. IAM Identity Center (sso_account_id / sso_role_name, with sso_session or the legacy
//      sso_start_url): the token `aws sso login` cached, then the portal's GetRoleCredentials
//      (credentials_sso.cc);
//   4. static keys of the credentials file;
//   5. credential_process;
//   6. static keys of the config file.
// A source profile (one named by source_profile) with static keys uses them even if it also has
// role_arn, as botocore does; a profile may name itself as source only in that case. Any other
// loop is an error listing the chain.
#include <algorithm>
#include <fstream>
#include <mutex>
#include <sstream>

#include "common/strings.h"
#include "s3/credentials.h"
#include "s3/internal/credential_sources.h"
#include "s3/internal/shared_config.h"

namespace thaw::s3 {
namespace {

using internal::EnvValue;
using internal::ProfileSources;
using internal::Section;

std::string Value(const Section& s, const char* key) {
  auto it = s.find(key);
  return it == s.end() ? "" : it->second;
}

bool HasKeyId(const std::optional<Section>& s) {
  return s && !Value(*s, "aws_access_key_id").empty();
}

// Both files' keys, the credentials file winning (botocore merges them into one profile).
Section Merged(const ProfileSources& src) {
  Section m = src.config.value_or(Section());
  if (src.credentials) {
    for (const auto& [k, v] : *src.credentials) m[k] = v;
  }
  return m;
}

std::string Join(const std::vector<std::string>& chain, const std::string& last) {
  std::string s;
  for (const std::string& p : chain) s += p + " -> ";
  return s + last;
}

class ProfileProvider : public CredentialsProvider {
 public:
  ProfileProvider(std::string profile, EnvLookup env, ProfileProviderOptions options)
      : explicit_(!profile.empty()),
        profile_(internal::ResolveProfileName(profile, env)),
        env_(std::move(env)),
        options_(std::move(options)),
        clock_(options_.clock != nullptr ? *options_.clock : Clock::Real()) {}

  Result<Credentials> Get() override {
    std::lock_guard<std::mutex> lock(mu_);  // top_ belongs to one resolution at a time
    THAW_ASSIGN_OR_RETURN(ProfileSources src, internal::LoadProfileSources(profile_, env_));
    top_ = Merged(src);
    return Resolve(src, {}, /*as_source=*/false, /*disable_env=*/explicit_);
  }
  std::string name() const override { return "profile " + profile_; }

 private:
  Result<Credentials> Resolve(const ProfileSources& src, std::vector<std::string> chain,
                              bool as_source, bool disable_env) {
    const std::string& name = src.profile;
    chain.push_back(name);
    Section merged = Merged(src);
    bool has_static = HasKeyId(src.credentials) || HasKeyId(src.config);
    bool role = merged.count("role_arn") != 0 && merged.count("web_identity_token_file") == 0;
    if (role && !(as_source && has_static)) return AssumeRole(src, merged, chain);
    THAW_ASSIGN_OR_RETURN(std::optional<Credentials> web, WebIdentity(name, merged, disable_env));
    if (web) return *web;
    THAW_ASSIGN_OR_RETURN(std::optional<internal::SsoProfile> sso,
                          internal::LoadSsoProfile(name, merged, src.config_path));
    if (sso) return Sso(*sso);
    if (HasKeyId(src.credentials)) return FromSection(name, *src.credentials, src.credentials_path);
    if (merged.count("login_session") != 0) return Unsupported(name, "login_session (aws login)");
    std::string process = Value(merged, "credential_process");
    if (!process.empty()) {
      return internal::RunCredentialProcess(name, process, clock_, options_.process_timeout);
    }
    if (HasKeyId(src.config)) return FromSection(name, *src.config, src.config_path);
    std::string files = src.credentials_path + " or " + src.config_path;
    if (as_source) {
      std::vector<std::string> before(chain.begin(), chain.end() - 1);
      return Status::InvalidArgument("profile '" + chain.front() + "': source profile '" + name +
                                     "' has no credentials (" + Join(before, name) + ")");
    }
    if (src.found()) return Status::NotFound("profile '" + name + "' has no aws_access_key_id");
    // Only the default profile may be absent: a named one that is missing is a typo, and the
    // AWS CLI stops there too rather than using other credentials.
    if (name == "default") return Status::NotFound("no default profile in " + files);
    return Status::InvalidArgument("profile '" + name + "' not found in " + files);
  }

  Result<Credentials> FromSection(const std::string& name, const Section& s,
                                  const std::string& path) const {
    Credentials c;
    c.source = "profile " + name;
    c.access_key_id = Value(s, "aws_access_key_id");
    c.secret_access_key = Value(s, "aws_secret_access_key");
    if (c.secret_access_key.empty()) {
      return Status::InvalidArgument(path + ": profile '" + name +
                                     "' has aws_access_key_id but no aws_secret_access_key");
    }
    c.session_token = Value(s, "aws_session_token");
    if (c.session_token.empty()) c.session_token = Value(s, "aws_security_token");
    return c;
  }

  static Status Unsupported(const std::string& name, const std::string& what) {
    return Status::Unimplemented(
        "profile '" + name + "' gets its credentials through " + what +
        ", which thaw does not support; export temporary credentials instead, e.g. with `aws "
        "configure export-credentials --profile " +
        name + " --format env`");
  }

  // --- Assume role -----------------------------------------------------------------------------

  Result<Credentials> AssumeRole(const ProfileSources& src, const Section& merged,
                                 const std::vector<std::string>& chain) {
    const std::string& name = src.profile;
    std::string role_arn = Value(merged, "role_arn");
    std::string where = "profile '" + name + "' (role_arn " + role_arn + ")";
    if (!Value(merged, "mfa_serial").empty()) {
      return Status::FailedPrecondition(
          where +
          " requires MFA (mfa_serial); thaw runs non-interactively and cannot ask for a "
          "code: export temporary credentials instead, e.g. with `aws configure "
          "export-credentials --profile " +
          name + " --format env`");
    }
    std::string source_profile = Value(merged, "source_profile");
    std::string credential_source = Value(merged, "credential_source");
    if (!source_profile.empty() && !credential_source.empty()) {
      return Status::InvalidArgument(where + " has both source_profile and credential_source");
    }
    if (source_profile.empty() && credential_source.empty()) {
      return Status::InvalidArgument(where + " has neither source_profile nor credential_source");
    }
    internal::AssumeRoleParams params;
    params.role_arn = role_arn;
    params.session_name = Value(merged, "role_session_name");
    if (params.session_name.empty()) params.session_name = internal::DefaultSessionName(clock_);
    params.external_id = Value(merged, "external_id");
    params.source = "profile " + name + " (assume role)";
    THAW_ASSIGN_OR_RETURN(params.duration_seconds, Duration(merged, where));
    Result<Credentials> source = source_profile.empty()
                                     ? FromCredentialSource(credential_source, where)
                                     : FromSourceProfile(src, source_profile, chain, where);
    if (!source.ok()) return source.status();
    if (options_.sts_http == nullptr) {
      return Status::Unimplemented(where + ": no transport for STS");
    }
    THAW_ASSIGN_OR_RETURN(internal::StsEndpoint endpoint, Endpoint());
    Result<Credentials> creds =
        internal::StsAssumeRole(*options_.sts_http, endpoint, clock_, *source, params);
    if (!creds.ok()) return creds.status().WithContext("profile '" + name + "'");
    return creds;
  }

  static Result<std::optional<int>> Duration(const Section& merged, const std::string& where) {
    std::string text = Value(merged, "duration_seconds");
    if (text.empty()) return std::optional<int>();
    std::optional<int64_t> n = ParseInt64(text);
    // STS's bounds; the role's own maximum is STS's to enforce.
    if (!n || *n < 900 || *n > 43200) {
      return Status::InvalidArgument(where +
                                     ": duration_seconds must be a number of seconds "
                                     "from 900 to 43200");
    }
    return std::optional<int>(static_cast<int>(*n));
  }

  Result<Credentials> FromCredentialSource(const std::string& kind, const std::string& where) {
    std::unique_ptr<CredentialsProvider> p;
    HttpTransport* metadata =
        options_.metadata_http != nullptr ? options_.metadata_http : options_.sts_http;
    if (kind == "Environment") {
      p = MakeEnvironmentProvider(env_);
    } else if ((kind == "Ec2InstanceMetadata" || kind == "EcsContainer") && metadata != nullptr) {
      p = kind == "EcsContainer" ? MakeContainerProvider(env_, *metadata)
                                 : MakeImdsProvider(env_, *metadata);
    } else {
      return Status::InvalidArgument(where + ": credential_source '" + kind +
                                     "' is not one of Environment, Ec2InstanceMetadata, "
                                     "EcsContainer");
    }
    Result<Credentials> r = p->Get();
    if (r.status().IsNotFound()) {
      return Status::FailedPrecondition(where + ": credential_source " + kind +
                                        " has no credentials: " + r.status().message());
    }
    if (!r.ok()) return r.status().WithContext(where + ": credential_source " + kind);
    return r;
  }

  Result<Credentials> FromSourceProfile(const ProfileSources& src, const std::string& source_name,
                                        const std::vector<std::string>& chain,
                                        const std::string& where) {
    bool seen = std::find(chain.begin(), chain.end(), source_name) != chain.end();
    bool self_with_keys =
        source_name == src.profile && (HasKeyId(src.credentials) || HasKeyId(src.config));
    if (seen && !self_with_keys) {
      return Status::InvalidArgument("profile '" + chain.front() +
                                     "': source_profile loop: " + Join(chain, source_name));
    }
    THAW_ASSIGN_OR_RETURN(ProfileSources next, internal::LoadProfileSources(source_name, env_));
    if (!next.found()) {
      return Status::InvalidArgument(where + ": source_profile '" + source_name +
                                     "' does not exist in " + next.credentials_path + " or " +
                                     next.config_path);
    }
    std::vector<std::string> upto = chain;
    if (self_with_keys) upto.pop_back();  // Resolve adds it again
    return Resolve(next, upto, /*as_source=*/true, /*disable_env=*/true);
  }

  // botocore's session region for the STS client: --region, AWS_REGION, AWS_DEFAULT_REGION,
  // then the profile that was asked for.
  Result<internal::StsEndpoint> Endpoint() const {
    std::string region = options_.region;
    if (region.empty()) region = EnvValue(env_, "AWS_REGION");
    if (region.empty()) region = EnvValue(env_, "AWS_DEFAULT_REGION");
    if (region.empty()) region = Value(top_, "region");
    return internal::ResolveStsEndpoint(region, top_, env_);
  }

  // --- IAM Identity Center --------------------------------------------------------------------

  Result<Credentials> Sso(internal::SsoProfile sso) {
    sso.endpoint_settings = top_;  // botocore's session profile: the one that was asked for
    if (options_.sts_http == nullptr) {
      return Status::Unimplemented("profile '" + sso.profile +
                                   "' (IAM Identity Center): no transport for the SSO portal");
    }
    return internal::SsoGetRoleCredentials(*options_.sts_http, clock_, sso, env_);
  }

  // --- Web identity ----------------------------------------------------------------------------

  std::string Setting(const Section& merged, const char* env_name, const char* key,
                      bool disable_env) const {
    std::string v = disable_env ? "" : EnvValue(env_, env_name);
    return v.empty() ? Value(merged, key) : v;
  }

  Result<std::optional<Credentials>> WebIdentity(const std::string& name, const Section& merged,
                                                 bool disable_env) {
    std::string token_file =
        Setting(merged, "AWS_WEB_IDENTITY_TOKEN_FILE", "web_identity_token_file", disable_env);
    if (token_file.empty()) return std::optional<Credentials>();
    internal::AssumeRoleParams params;
    params.role_arn = Setting(merged, "AWS_ROLE_ARN", "role_arn", disable_env);
    std::string where = "profile '" + name + "' (web identity, token file " + token_file + ")";
    if (params.role_arn.empty()) {
      return Status::InvalidArgument(where + " has no role ARN (AWS_ROLE_ARN or role_arn)");
    }
    params.session_name =
        Setting(merged, "AWS_ROLE_SESSION_NAME", "role_session_name", disable_env);
    if (params.session_name.empty()) params.session_name = internal::DefaultSessionName(clock_);
    THAW_ASSIGN_OR_RETURN(params.duration_seconds, Duration(merged, where));
    params.source = "profile " + name + " (web identity)";
    // Read on every fetch: the kubelet and other issuers rotate the token in place.
    std::ifstream in(internal::ExpandHome(token_file, env_), std::ios::binary);
    std::ostringstream content;
    if (in) content << in.rdbuf();
    std::string token(Trim(content.str()));
    if (!in || in.bad() || token.empty()) {
      return Status::FailedPrecondition(
          "cannot read the web identity token file " + token_file + " (" +
          (in ? "empty" : "missing or unreadable") + "), named by " +
          (EnvValue(env_, "AWS_WEB_IDENTITY_TOKEN_FILE") == token_file && !disable_env
               ? "AWS_WEB_IDENTITY_TOKEN_FILE"
               : "web_identity_token_file of profile '" + name + "'"));
    }
    if (options_.sts_http == nullptr)
      return Status::Unimplemented(where + ": no transport for STS");
    THAW_ASSIGN_OR_RETURN(internal::StsEndpoint endpoint, Endpoint());
    Result<Credentials> creds =
        internal::StsAssumeRoleWithWebIdentity(*options_.sts_http, endpoint, clock_, params, token);
    if (!creds.ok()) return creds.status().WithContext(where);
    return std::optional<Credentials>(*std::move(creds));
  }

  bool explicit_;  // named by --profile (not AWS_PROFILE): environment settings do not apply
  std::string profile_;
  EnvLookup env_;
  ProfileProviderOptions options_;
  Clock& clock_;
  std::mutex mu_;
  Section top_;  // guarded by mu_; the asked-for profile's settings, for STS's region and endpoint
};

}  // namespace

std::unique_ptr<CredentialsProvider> MakeProfileProvider(std::string profile, EnvLookup env,
                                                         ProfileProviderOptions options) {
  return std::make_unique<ProfileProvider>(std::move(profile), std::move(env), std::move(options));
}

}  // namespace thaw::s3
