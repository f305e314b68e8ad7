// Subcommand registration and dispatch (placeholder until the commands land).
#include "cli/commands.h"

#include <CLI/CLI.hpp>

namespace thaw::cli {

int Main(int argc, char** argv) {
  CLI::App app{"thaw: makes data archived in S3 Glacier usable again"};
  app.require_subcommand(1);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  return kExitOk;
}

}  // namespace thaw::cli
