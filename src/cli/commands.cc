// Subcommand registration and dispatch. Each subcommand lives in its own <name>_command.cc and
// registers itself here; its final callback runs the command and reports the exit code by
// throwing CLI::RuntimeError (CLI11's way out of a callback), caught below.
#include "cli/commands.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/context.h"
#include "cli/doc_gen.h"
#include "cli/event_setup.h"
#include "cli/mount_helper.h"
#include "common/log.h"
#include "common/terminal_escape.h"
#include "thaw_version.h"  // generated at configure time (cmake/Version.cmake)

namespace thaw::cli {

void RegisterLs(CLI::App& app, GlobalFlags& globals);
void RegisterStat(CLI::App& app, GlobalFlags& globals);
void RegisterSim(CLI::App& app, GlobalFlags& globals);
void RegisterRestore(CLI::App& app, GlobalFlags& globals);
void RegisterStatus(CLI::App& app, GlobalFlags& globals);
void RegisterDemo(CLI::App& app, GlobalFlags& globals);
void RegisterLambda(CLI::App& app, GlobalFlags& globals);
void RegisterServe(CLI::App& app, GlobalFlags& globals);
void RegisterMount(CLI::App& app, GlobalFlags& globals);
void RegisterScan(CLI::App& app, GlobalFlags& globals);

int Main(int argc, char** argv) {
  CLI::App app{"thaw: makes data archived in S3 Glacier usable again without a ticket"};
  app.require_subcommand(1);
  app.fallthrough();
  app.set_version_flag("--version", "thaw " THAW_VERSION " (commit " THAW_COMMIT ")");
  GlobalFlags globals;
  AddGlobalOptions(app, globals);
  RegisterLs(app, globals);
  RegisterStat(app, globals);
  RegisterSim(app, globals);
  RegisterRestore(app, globals);
  RegisterStatus(app, globals);
  RegisterDemo(app, globals);
  RegisterLambda(app, globals);
  RegisterServe(app, globals);
  RegisterMount(app, globals);
  RegisterScan(app, globals);
  RegisterDoc(app);
  ApplyHelpText(app);
  std::vector<std::string> args = RewriteExecArguments(argc, argv);
  // --log-format takes effect as it is parsed; an error in an argument before it would still be
  // reported in text. Looked for first, so that such errors are JSON too.
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--log-format=json" ||
        (args[i] == "--log-format" && i + 1 < args.size() && args[i + 1] == "json")) {
      (void)SetLogFormat("json");
    }
  }
  if (IsMountHelperForm(args)) {
    // mount(8) / mount.fuse: `SOURCE DIR -o OPTIONS` becomes `thaw mount SOURCE DIR --opt...`.
    auto call = RewriteMountHelperArgs(app, args, geteuid() == 0);
    if (!call.ok()) return ReportError(call.status(), "mount");
    if (call->verbose) {
      std::string line;
      for (const auto& a : call->argv) line += (line.empty() ? "" : " ") + a;
      std::cerr << LogLine("info", "thaw: mount helper runs: " + EscapeForTerminal(line));
    }
    if (call->fake) return kExitOk;
    args = std::move(call->argv);
  }
  std::vector<char*> arg_ptrs;
  for (auto& a : args) arg_ptrs.push_back(a.data());
  try {
    app.parse(static_cast<int>(arg_ptrs.size()), arg_ptrs.data());
  } catch (const CLI::RuntimeError& e) {
    return e.get_exit_code();
  } catch (const CLI::ParseError& e) {
    if (JsonLogFormat() && e.get_exit_code() != 0) {
      std::cerr << LogLine("error", "thaw: " + EscapeForTerminal(e.what()));
      return kExitUsage;
    }
    int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  return kExitOk;
}

}  // namespace thaw::cli
