// SQS client and completion hooks for the event commands (see event_setup.h).
#include "cli/event_setup.h"

#include "common/log.h"
#include "s3/config.h"
#include "s3/credentials.h"
#include "s3/endpoints.h"

namespace thaw::cli {

Result<std::unique_ptr<s3::SqsClient>> MakeSqsClientFor(const GlobalFlags& globals,
                                                        const std::string& sqs_endpoint_url,
                                                        const std::string& queue_url) {
  THAW_RETURN_IF_ERROR(SetupLogging(globals.log_level));
  s3::EnvLookup env = s3::ProcessEnv();
  // The S3 settings give region, TLS and attempts; the endpoint is SQS's own.
  THAW_ASSIGN_OR_RETURN(s3::ClientConfig s3_config, s3::ResolveClientConfig(globals.s3, env));
  s3::SqsConfig config;
  config.region = s3_config.region;
  bool region_given = !globals.s3.region.empty() || env("AWS_REGION").has_value() ||
                      env("AWS_DEFAULT_REGION").has_value();
  if (std::string from_url = s3::RegionFromQueueUrl(queue_url);
      !region_given && !from_url.empty()) {
    config.region = from_url;
  }
  // --sqs-endpoint-url, AWS_ENDPOINT_URL_SQS, AWS_ENDPOINT_URL, the profile's services section,
  // its endpoint_url (s3/endpoints.h); else AWS's endpoint with FIPS / dual-stack as configured.
  THAW_ASSIGN_OR_RETURN(s3::ProfileSettings profile, s3::LoadProfile(globals.s3.profile, env));
  THAW_ASSIGN_OR_RETURN(config.endpoint_url,
                        s3::ConfiguredEndpointUrl("sqs", sqs_endpoint_url, profile.values, env));
  config.variant = s3::ResolveEndpointVariant("sqs", profile.values, env);
  config.transport = s3_config.transport;
  // A long poll holds the connection silent for up to 20 s.
  config.transport.stall_timeout =
      std::max(config.transport.stall_timeout, std::chrono::milliseconds(45000));
  config.retry = s3_config.retry;
  return s3::MakeSqsClient(config, MakeCredentials(globals, env), Clock::Real());
}

void AddHookOptions(CLI::App& cmd, HookFlags& flags) {
  cmd.add_option("--on-restored", flags.on_restored,
                 "run this /bin/sh command when a restore completes; {bucket} {key} {version} "
                 "{storage_class} {path} are replaced by shell-quoted values (also in THAW_* "
                 "environment variables)");
  cmd.add_option("--on-restored-exec", flags.on_restored_exec,
                 "PROG ARG... [;]: run PROG with these arguments (no shell) when a restore "
                 "completes; placeholders as for --on-restored, unquoted, per argument; takes "
                 "the rest of the command line up to a lone ';' (recommended over --on-restored)")
      ->expected(1, -1);
  cmd.add_option("--map", flags.maps,
                 "LOCAL_DIR=s3://BUCKET/PREFIX: how {path} is formed (repeatable)");
  cmd.add_option("--hook-timeout", flags.timeout_seconds,
                 "seconds before a hook command is killed (default 300)");
  cmd.add_option("--hook-attempts", flags.attempts,
                 "runs of a failing hook before it is given up (default 3)");
  cmd.add_option("--hook-retry-delay", flags.retry_delay_seconds,
                 "seconds before the first retry of a failed hook, doubling (default 10)");
}

std::vector<std::string> RewriteExecArguments(int argc, char** argv) {
  constexpr std::string_view kExec = "--on-restored-exec";
  std::vector<std::string> out;
  for (int i = 0; i < argc; ++i) {
    if (std::string_view(argv[i]) != kExec) {
      out.emplace_back(argv[i]);
      continue;
    }
    int j = i + 1;
    for (; j < argc && std::string_view(argv[j]) != ";"; ++j) {
      out.push_back(std::string(kExec) + "=" + argv[j]);
    }
    if (j == i + 1) out.emplace_back(kExec);  // no PROG: let the parser say so
    i = j;                                    // skips the ";" too
  }
  return out;
}

Result<std::unique_ptr<events::HookRunner>> MakeHookRunner(const HookFlags& flags) {
  if (!flags.on_restored.empty() && !flags.on_restored_exec.empty()) {
    return Status::InvalidArgument("give --on-restored or --on-restored-exec, not both");
  }
  if (flags.on_restored.empty() && flags.on_restored_exec.empty()) {
    if (!flags.maps.empty()) {
      return Status::InvalidArgument("--map needs --on-restored or --on-restored-exec");
    }
    return std::unique_ptr<events::HookRunner>();
  }
  if (!flags.on_restored_exec.empty() && flags.on_restored_exec[0].empty()) {
    return Status::InvalidArgument("--on-restored-exec: the program name is empty");
  }
  if (flags.timeout_seconds < 1) return Status::InvalidArgument("--hook-timeout must be >= 1");
  if (flags.attempts < 1) return Status::InvalidArgument("--hook-attempts must be >= 1");
  if (flags.retry_delay_seconds < 0) {
    return Status::InvalidArgument("--hook-retry-delay must be >= 0");
  }
  events::HookOptions o;
  o.command.shell = flags.on_restored;
  o.command.argv = flags.on_restored_exec;
  for (const auto& m : flags.maps) {
    THAW_ASSIGN_OR_RETURN(events::PathMap pm, events::ParsePathMap(m));
    o.maps.push_back(std::move(pm));
  }
  if (o.command.UsesPath() && o.maps.empty()) {
    return Status::InvalidArgument("the hook uses {path}: give at least one --map");
  }
  o.timeout = std::chrono::seconds(flags.timeout_seconds);
  o.max_attempts = flags.attempts;
  o.retry_delay = std::chrono::seconds(flags.retry_delay_seconds);
  return std::make_unique<events::HookRunner>(std::move(o), Clock::Real());
}

}  // namespace thaw::cli
