// What every subcommand needs from the global options: logging set up, an S3 client built from
// the credentials chain and the resolved endpoint/region. Also the shared error reporting.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "common/status.h"
#include "s3/client.h"
#include "s3/config.h"
#include "s3/credentials.h"

namespace thaw::cli {

struct GlobalFlags {
  s3::GlobalOptions s3;
  std::string log_level = "warn";
  std::string log_format = "text";  // --log-format; applied as it is parsed (common/log.h)
  std::string config_path;          // --config; empty: ~/.config/thaw/config.toml if it exists
  std::string state_dir;  // --state-dir; empty: $XDG_STATE_HOME/thaw or ~/.local/state/thaw
};

// Registers --endpoint-url, --region, --profile, --no-sign-request, --no-verify-ssl,
// --request-payer, --max-attempts, --log-level, --log-format, --config and --state-dir on `app` (and, through
// fallthrough, on its subcommands).
void AddGlobalOptions(CLI::App& app, GlobalFlags& flags);

// Builds the client for `flags` (credentials chain, region, endpoint).
Result<std::unique_ptr<s3::S3Client>> MakeClient(const GlobalFlags& flags);

// The default credentials chain for `flags` (profile, --no-sign-request), shared by the S3 and
// SQS clients.
std::shared_ptr<s3::CredentialsProvider> MakeCredentials(const GlobalFlags& flags,
                                                         const s3::EnvLookup& env);

// Prints "thaw: <what>: <message>" to stderr, both escaped for the terminal (they may quote
// keys and S3 messages), and returns the exit code for `status`.
int ReportError(const Status& status, const std::string& what = "");

// Exit code for a failed status: 3 not found, 2 invalid argument, 1 otherwise.
int ExitCodeFor(const Status& status);

}  // namespace thaw::cli
