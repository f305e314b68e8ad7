// What the event commands (`thaw serve`, `thaw scan`) share beyond the engine setup: the SQS
// client built from the global options (same credentials chain as S3, its own endpoint), and
// the completion-hook options (--on-restored, --map, --hook-timeout, --hook-attempts).
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

#include "cli/context.h"
#include "events/hooks.h"
#include "s3/sqs_client.h"

namespace thaw::cli {

// An SQS client for `globals` (credentials, region, TLS, attempts). The endpoint is
// `sqs_endpoint_url`, else AWS_ENDPOINT_URL_SQS, else AWS_ENDPOINT_URL, else AWS. The region is
// the global one, or the queue URL's when none was given (--region, AWS_REGION,
// AWS_DEFAULT_REGION).
Result<std::unique_ptr<s3::SqsClient>> MakeSqsClientFor(const GlobalFlags& globals,
                                                        const std::string& sqs_endpoint_url,
                                                        const std::string& queue_url);

struct HookFlags {
  std::string on_restored;
  std::vector<std::string> on_restored_exec;  // PROG ARG...
  std::vector<std::string> maps;
  int timeout_seconds = 300;
  int attempts = 3;
  int retry_delay_seconds = 10;
};
void AddHookOptions(CLI::App& cmd, HookFlags& flags);
// Rewrites `--on-restored-exec PROG ARG... [;]` (everything up to a lone ";" or the end, as
// find -exec takes its command) into `--on-restored-exec=PROG --on-restored-exec=ARG ...`, so
// that arguments which look like options ("--data", "-v") reach the hook, not the parser.
std::vector<std::string> RewriteExecArguments(int argc, char** argv);
// nullptr when no hook was given.
Result<std::unique_ptr<events::HookRunner>> MakeHookRunner(const HookFlags& flags);

}  // namespace thaw::cli
