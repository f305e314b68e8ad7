// What `thaw restore` and `thaw status` (and later the mount) need before they can use the
// restore engine: the policy file (--config), the state dir (--state-dir), the limits with
// command-line overrides, an S3 client, and the engine itself, owned together so they are torn
// down in the right order (engine before client).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "cli/context.h"
#include "restore/engine.h"
#include "restore/policy.h"
#include "s3/metered_client.h"

namespace thaw::cli {

// --state-dir, else $XDG_STATE_HOME/thaw, else $HOME/.local/state/thaw.
Result<std::string> ResolveStateDir(const GlobalFlags& flags);

// --config (a missing file is an error), else ~/.config/thaw/config.toml ($XDG_CONFIG_HOME
// honoured) when it exists, else built-in defaults. Errors read `file:line: reason`.
Result<restore::PolicyConfig> LoadConfig(const GlobalFlags& flags);

struct EngineSetup {
  std::unique_ptr<s3::S3Client> inner_client;  // the HTTP client when `client` meters it
  std::unique_ptr<s3::S3Client> client;        // declared before the engine: destroyed after it
  std::unique_ptr<restore::Engine> engine;
  std::string state_dir;
};

// Opens the engine with `options` (state_dir and policy filled in here; limits taken from the
// config file unless the caller already overrode them: pass them in `options.limits` after
// calling LoadConfig).
// With `client_metrics`, every S3 call of the engine and of the caller (through `client`) is
// counted there (s3/metered_client.h).
Result<EngineSetup> OpenEngineFor(const GlobalFlags& flags, const restore::PolicyConfig& config,
                                  restore::EngineOptions options,
                                  s3::ClientMetrics* client_metrics = nullptr);

}  // namespace thaw::cli
