// Global options and client construction shared by all subcommands (see context.h).
#include "cli/context.h"

#include <iostream>

#include "cli/commands.h"
#include "common/log.h"
#include "common/terminal_escape.h"
#include "s3/config.h"
#include "s3/credentials.h"
#include "s3/error.h"

namespace thaw::cli {

void AddGlobalOptions(CLI::App& app, GlobalFlags& flags) {
  app.add_option("--endpoint-url", flags.s3.endpoint_url,
                 "S3 endpoint (e.g. http://127.0.0.1:9000 for thaw sim); path-style addressing");
  app.add_option("--region", flags.s3.region,
                 "AWS region (default: AWS_REGION, profile, us-east-1)");
  app.add_option("--profile", flags.s3.profile,
                 "profile from ~/.aws/credentials and ~/.aws/config");
  app.add_flag("--no-sign-request", flags.s3.no_sign_request,
               "send requests unsigned (public buckets)");
  app.add_flag("--no-verify-ssl", flags.s3.no_verify_ssl, "do not verify TLS certificates");
  app.add_option("--request-payer", flags.s3.request_payer,
                 "'requester': pay for requests to requester-pays buckets (sends "
                 "x-amz-request-payer on every S3 call)");
  app.add_option("--max-attempts", flags.s3.max_attempts,
                 "tries per S3 call including the first (default 3)");
  app.add_option("--log-level", flags.log_level, "trace, debug, info, warn, error or off")
      ->capture_default_str();
  app.add_option("--log-format", flags.log_format,
                 "text, or json: one JSON object per line (time, level, msg, pid, thread) for "
                 "CloudWatch Logs and journald")
      ->capture_default_str()
      ->each([](const std::string& format) {
        if (Status s = SetLogFormat(format); !s.ok()) throw CLI::ValidationError(s.message());
      });
  app.add_option("--config", flags.config_path,
                 "restore policy file (TOML; default ~/.config/thaw/config.toml if present)");
  app.add_option("--state-dir", flags.state_dir,
                 "where the restore journal lives (default $XDG_STATE_HOME/thaw or "
                 "~/.local/state/thaw)");
}

std::shared_ptr<s3::CredentialsProvider> MakeCredentials(const GlobalFlags& flags,
                                                         const s3::EnvLookup& env) {
  s3::CredentialsOptions creds_options;
  creds_options.profile = flags.s3.profile;
  creds_options.no_sign_request = flags.s3.no_sign_request;
  // Instance-metadata and container endpoints answer in milliseconds when they exist; a short
  // connect timeout keeps machines without them from stalling on the last links of the chain.
  s3::TransportOptions metadata_options;
  metadata_options.connect_timeout = std::chrono::milliseconds(1000);
  metadata_options.stall_timeout = std::chrono::milliseconds(2000);
  static std::shared_ptr<s3::HttpTransport> metadata_transport =
      s3::MakeCurlTransport(metadata_options);
  creds_options.region = flags.s3.region;
  // STS (role and web identity profiles) is a regular AWS endpoint: the S3 client's TLS settings
  // apply. A config that does not resolve fails again, with its message, when the client is made.
  s3::TransportOptions sts_options;
  if (Result<s3::ClientConfig> config = s3::ResolveClientConfig(flags.s3, env); config.ok()) {
    sts_options = config->transport;
  }
  static std::shared_ptr<s3::HttpTransport> sts_transport = s3::MakeCurlTransport(sts_options);
  return s3::MakeDefaultCredentialsChain(creds_options, env, *sts_transport, Clock::Real(),
                                         metadata_transport.get());
}

Result<std::unique_ptr<s3::S3Client>> MakeClient(const GlobalFlags& flags) {
  THAW_RETURN_IF_ERROR(SetupLogging(flags.log_level));
  s3::EnvLookup env = s3::ProcessEnv();
  THAW_ASSIGN_OR_RETURN(s3::ClientConfig config, s3::ResolveClientConfig(flags.s3, env));
  std::shared_ptr<s3::HttpTransport> transport = s3::MakeCurlTransport(config.transport);
  std::shared_ptr<s3::CredentialsProvider> credentials = MakeCredentials(flags, env);
  // A profile that is configured but broken (a missing source profile, a loop, a missing token
  // file, a credential_process printing junk) stops the command before any work, with one error
  // and exit 1, rather than failing every request of it. The credentials are cached, so this
  // costs no second STS call. "No credentials anywhere" stays the first request's error.
  if (credentials != nullptr) {
    Result<s3::Credentials> first = credentials->Get();
    if (!first.ok() && !first.status().IsNotFound()) {
      if (!first.status().IsInvalidArgument()) return first.status();
      return Status::FailedPrecondition(first.status().message());  // the config, not the usage
    }
  }
  return s3::MakeHttpClient(config, std::move(credentials), Clock::Real(), std::move(transport));
}

int ExitCodeFor(const Status& status) {
  // An S3 4xx is the service's answer, not bad usage of thaw.
  if (s3::GetS3Error(status) != nullptr && !status.IsNotFound()) return kExitFailure;
  switch (status.code()) {
    case StatusCode::kOk:
      return kExitOk;
    case StatusCode::kNotFound:
      return kExitNotFound;
    case StatusCode::kInvalidArgument:
      return kExitUsage;
    default:
      return kExitFailure;
  }
}

int ReportError(const Status& status, const std::string& what) {
  // Messages quote keys and S3's own error text: untrusted bytes, one line.
  std::string line = "thaw: ";
  if (!what.empty()) line += EscapeForTerminal(what) + ": ";
  line += EscapeForTerminal(status.message());
  std::cerr << LogLine("error", line);
  return ExitCodeFor(status);
}

}  // namespace thaw::cli
