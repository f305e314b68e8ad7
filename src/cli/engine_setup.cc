// Config file, state dir and engine construction for the commands that use the restore engine
// (see engine_setup.h).
#include "cli/engine_setup.h"

#include <cstdlib>
#include <filesystem>

namespace thaw::cli {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

}  // namespace

Result<std::string> ResolveStateDir(const GlobalFlags& flags) {
  if (!flags.state_dir.empty()) return flags.state_dir;
  // XDG base directories: only absolute values count (the spec says to ignore relative ones).
  std::string xdg = Env("XDG_STATE_HOME");
  if (!xdg.empty() && xdg[0] == '/') return xdg + "/thaw";
  std::string home = Env("HOME");
  if (home.empty()) {
    return Status::InvalidArgument("no --state-dir given and HOME is not set");
  }
  return home + "/.local/state/thaw";
}

Result<restore::PolicyConfig> LoadConfig(const GlobalFlags& flags) {
  if (!flags.config_path.empty()) {
    auto c = restore::LoadPolicyConfig(flags.config_path);
    // An explicit file that is not there is a usage error, not "use the defaults".
    if (!c.ok() && c.status().IsNotFound()) {
      return Status::InvalidArgument("--config " + flags.config_path + ": " + c.status().message());
    }
    return c;
  }
  std::string dir = Env("XDG_CONFIG_HOME");
  if (dir.empty() || dir[0] != '/') {
    std::string home = Env("HOME");
    if (home.empty()) return restore::PolicyConfig{};
    dir = home + "/.config";
  }
  auto c = restore::LoadPolicyConfig(dir + "/thaw/config.toml");
  if (!c.ok() && c.status().IsNotFound()) return restore::PolicyConfig{};
  return c;
}

Result<EngineSetup> OpenEngineFor(const GlobalFlags& flags, const restore::PolicyConfig& config,
                                  restore::EngineOptions options,
                                  s3::ClientMetrics* client_metrics) {
  EngineSetup setup;
  THAW_ASSIGN_OR_RETURN(setup.state_dir, ResolveStateDir(flags));
  THAW_ASSIGN_OR_RETURN(setup.client, MakeClient(flags));
  if (client_metrics != nullptr) {
    setup.inner_client = std::move(setup.client);
    setup.client = s3::MakeMeteredClient(*setup.inner_client, *client_metrics);
  }
  options.state_dir = setup.state_dir;
  auto policy = std::make_shared<const restore::Policy>(config.policy);
  THAW_ASSIGN_OR_RETURN(setup.engine,
                        restore::OpenEngine(options, policy, *setup.client, Clock::Real()));
  return setup;
}

}  // namespace thaw::cli
