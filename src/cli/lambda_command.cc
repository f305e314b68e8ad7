// `thaw lambda`: the AWS Lambda custom runtime (`provided.al2023`; the function zip's
// `bootstrap` runs it). Configuration comes from the function's environment, since Lambda
// passes no arguments:
//   AWS_LAMBDA_RUNTIME_API   the Runtime API address (set by Lambda)
//   THAW_CONFIG_TOML         the restore policy as TOML text (policy.h), or
//   THAW_CONFIG              a policy file path (relative: to LAMBDA_TASK_ROOT, the zip)
//   THAW_STATE_DIR           the journal's directory (default /tmp/thaw: the only writable place)
//   THAW_LOG_LEVEL           default info (CloudWatch Logs gets stderr)
//   THAW_LOG_FORMAT          text (default) or json: every line one JSON object, as --log-format
//   THAW_ON_RESTORED         a completion hook, as --on-restored (a /bin/sh command line), or
//   THAW_ON_RESTORED_EXEC    as --on-restored-exec: a JSON array ["PROG", "ARG", ...]
//   THAW_MAP                 --map LOCAL_DIR=s3://BUCKET/PREFIX entries separated by ';'
//   THAW_REQUEST_PAYER       "requester" for requester-pays buckets, as --request-payer
//   Hooks run for the objects that restore-completed events name, before the invocation is
//   answered (Lambda freezes the process afterwards).
//   AWS_REGION, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN  set by Lambda (the
//   execution role); AWS_ENDPOINT_URL_S3 for S3-compatible endpoints (tests)
// Command-line flags (--config, --state-dir, --log-level, --endpoint-url) win over these.
// A configuration failure is reported to /runtime/init/error before exiting.
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.h"
#include "cli/context.h"
#include "cli/engine_setup.h"
#include "cli/event_setup.h"
#include "common/log.h"
#include "common/strings.h"
#include "events/lambda_handler.h"
#include "events/lambda_runtime.h"
#include "events/lambda_sink.h"

namespace thaw::cli {
namespace {

struct LambdaFlags {
  std::string runtime_api;
  int max_invocations = 0;
  HookFlags hooks;
};

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

// The hook flags, completed from the function's environment where no flag was given.
Result<HookFlags> LambdaHookFlags(HookFlags flags) {
  if (flags.on_restored.empty() && flags.on_restored_exec.empty()) {
    flags.on_restored = Env("THAW_ON_RESTORED");
    if (std::string exec = Env("THAW_ON_RESTORED_EXEC"); !exec.empty()) {
      auto parsed = nlohmann::json::parse(exec, nullptr, false);
      bool ok = parsed.is_array() && !parsed.empty();
      for (const auto& a : parsed) ok = ok && a.is_string();
      if (!ok) {
        return Status::InvalidArgument(
            "THAW_ON_RESTORED_EXEC: expected a JSON array of strings, [\"PROG\", \"ARG\", ...]");
      }
      for (const auto& a : parsed) flags.on_restored_exec.push_back(a.get<std::string>());
    }
  }
  if (flags.maps.empty()) {
    for (const std::string& m : Split(Env("THAW_MAP"), ';')) {
      if (!Trim(m).empty()) flags.maps.emplace_back(Trim(m));
    }
  }
  return flags;
}

Result<restore::PolicyConfig> LambdaConfig(GlobalFlags& globals) {
  std::string text = Env("THAW_CONFIG_TOML");
  if (globals.config_path.empty() && !text.empty()) {
    return restore::ParsePolicyConfig(text, "THAW_CONFIG_TOML");
  }
  if (globals.config_path.empty()) {
    std::string path = Env("THAW_CONFIG");
    if (!path.empty() && path[0] != '/' && !Env("LAMBDA_TASK_ROOT").empty()) {
      path = Env("LAMBDA_TASK_ROOT") + "/" + path;
    }
    if (path.empty()) return restore::PolicyConfig{};  // built-in defaults; no HOME in Lambda
    globals.config_path = path;
  }
  return LoadConfig(globals);
}

int RunLambda(GlobalFlags& globals, const LambdaFlags& f) {
  // First, so that every line the function writes, the errors below included, has the format
  // CloudWatch Logs is set up for.
  Status format_status = Status::Ok();
  if (globals.log_format == "text" && !Env("THAW_LOG_FORMAT").empty()) {
    format_status = SetLogFormat(Env("THAW_LOG_FORMAT"));
  }
  std::string api = f.runtime_api.empty() ? Env("AWS_LAMBDA_RUNTIME_API") : f.runtime_api;
  if (api.empty()) {
    return ReportError(Status::InvalidArgument(
        "AWS_LAMBDA_RUNTIME_API is not set: `thaw lambda` runs inside AWS Lambda (or give "
        "--runtime-api HOST:PORT)"));
  }
  events::RuntimeApiClient runtime(api, events::MakeRuntimeTransport());
  auto init_failed = [&](const Status& s) {
    std::string type = s.IsInvalidArgument() ? "Thaw.InvalidConfig" : "Thaw.InitFailed";
    Status posted = runtime.ReportInitError({type, s.message()});
    if (!posted.ok()) ReportError(posted, "reporting the init error");
    return ReportError(s, "lambda init");
  };

  // The global default (warn) suits interactive commands; a function should say what it did.
  if (globals.log_level == "warn") {
    globals.log_level = Env("THAW_LOG_LEVEL").empty() ? "info" : Env("THAW_LOG_LEVEL");
  }
  if (!format_status.ok()) {
    return init_failed(Status::InvalidArgument("THAW_LOG_FORMAT: " + format_status.message()));
  }
  if (Status s = SetupLogging(globals.log_level); !s.ok()) return init_failed(s);
  if (globals.s3.request_payer.empty()) globals.s3.request_payer = Env("THAW_REQUEST_PAYER");
  if (globals.state_dir.empty()) {
    globals.state_dir = Env("THAW_STATE_DIR").empty() ? "/tmp/thaw" : Env("THAW_STATE_DIR");
  }
  auto config = LambdaConfig(globals);
  if (!config.ok()) return init_failed(config.status());
  auto hook_flags = LambdaHookFlags(f.hooks);
  if (!hook_flags.ok()) return init_failed(hook_flags.status());
  auto hooks = MakeHookRunner(*hook_flags);
  if (!hooks.ok()) return init_failed(hooks.status());
  events::HookRunner* hook_runner = hooks->get();

  events::EngineSink sink(Clock::Real());  // outlives the engine, which calls OnChange
  restore::EngineOptions eo;
  if (config->limits_set) eo.limits = config->limits;
  // Lambda bills wall time and has minutes, not hours: retry a throttled RestoreObject soon,
  // and let SQS or Lambda bring the event back if it still fails.
  eo.max_send_attempts = 3;
  eo.retry_base_delay = std::chrono::seconds(1);
  eo.on_change = [&sink](const restore::RestoreRecord& r) { sink.OnChange(r); };
  auto setup = OpenEngineFor(globals, *config, eo);
  if (!setup.ok()) return init_failed(setup.status());
  sink.set_engine(setup->engine.get());
  if (hook_runner != nullptr) {
    sink.set_on_dispatched(
        [hook_runner](const events::DispatchOutcome& o) { hook_runner->Watch(o); });
  }

  events::LambdaLoopOptions loop;
  loop.max_invocations = f.max_invocations;
  loop.error_type_for = events::LambdaErrorType;
  Status s = events::RunLambdaLoop(
      runtime,
      [&sink, hook_runner](const events::Invocation& inv) {
        auto answer = events::HandleLambdaEvent(inv.payload, sink, inv.deadline);
        if (hook_runner != nullptr) {
          // The process may be frozen for good once the invocation is answered.
          Clock::Duration left = inv.deadline == Clock::TimePoint{}
                                     ? Clock::Duration(std::chrono::minutes(5))
                                     : inv.deadline - std::chrono::seconds(2) - Clock::Real().Now();
          if (!hook_runner->WaitIdle(std::max(left, Clock::Duration::zero()))) {
            spdlog::warn("lambda: completion hooks still running at the invocation deadline");
          }
        }
        return answer;
      },
      loop, Clock::Real());
  setup->engine->Shutdown();
  if (hook_runner != nullptr) hook_runner->Shutdown();
  if (!s.ok()) return ReportError(s, "lambda");
  return kExitOk;
}

}  // namespace

void RegisterLambda(CLI::App& app, GlobalFlags& globals) {
  auto f = std::make_shared<LambdaFlags>();
  CLI::App* cmd = app.add_subcommand(
      "lambda",
      "AWS Lambda custom runtime (the function's bootstrap): restores what EventBridge "
      "events and SQS batches ask for; configured by environment (see docs/deploy.md)");
  cmd->add_option("--runtime-api", f->runtime_api,
                  "Runtime API HOST:PORT (default: AWS_LAMBDA_RUNTIME_API)");
  cmd->add_option("--max-invocations", f->max_invocations,
                  "exit after this many invocations (0: never; for tests)")
      ->capture_default_str();
  AddHookOptions(*cmd, f->hooks);
  cmd->final_callback([&globals, f] { throw CLI::RuntimeError(RunLambda(globals, *f)); });
}

}  // namespace thaw::cli
