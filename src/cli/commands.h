// The `thaw` command line: global options shared by every subcommand and the subcommands
// themselves. No business logic lives here: commands parse, call the library, and print.
//
// Exit codes (documented in README.md):
//   0 success (for `thaw restore`: every object restored, accepted or skipped as readable);
//   1 the operation failed (S3 or network error); 2 bad usage or bad input; 3 not found;
//   4 partial failure (some objects failed); 5 budget refusal (some objects were refused by the
//   daily budget); 6 `--wait`/`--timeout` ran out before everything finished.
#pragma once

namespace thaw::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitNotFound = 3;
inline constexpr int kExitPartial = 4;
inline constexpr int kExitBudget = 5;
inline constexpr int kExitTimeout = 6;

int Main(int argc, char** argv);

}  // namespace thaw::cli
