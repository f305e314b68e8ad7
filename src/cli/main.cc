// thaw: entry point. Dispatches to the subcommands; see commands.h.
#include "cli/commands.h"

int main(int argc, char** argv) { return thaw::cli::Main(argc, argv); }
