// Internal to the s3 module: where the AWS shared files live and how a profile's sections are
// found in them. The profile credentials provider needs each file's section on its own (botocore
// takes keys from the credentials file or from the config file, never a mix of both), while
// LoadProfile() merges them for settings such as region.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "common/status.h"
#include "s3/credentials.h"

namespace thaw::s3::internal {

using Section = std::map<std::string, std::string>;

// The variable's value, or "" when it is unset.
std::string EnvValue(const EnvLookup& env, const std::string& name);

// `name` if given, else AWS_PROFILE, else "default".
std::string ResolveProfileName(const std::string& name, const EnvLookup& env);

// A leading "~" becomes $HOME (from `env`); other paths are returned unchanged.
std::string ExpandHome(const std::string& path, const EnvLookup& env);

struct ProfileSources {
  std::string profile;                 // resolved name
  std::string credentials_path;        // AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials
  std::string config_path;             // AWS_CONFIG_FILE or ~/.aws/config
  std::optional<Section> credentials;  // [NAME] of the credentials file, if present
  std::optional<Section> config;       // [profile NAME] (or [default]) of the config file

  bool found() const { return credentials.has_value() || config.has_value(); }
};

// Reads both shared files. Missing files are fine (no section); malformed ones are errors.
Result<ProfileSources> LoadProfileSources(const std::string& name, const EnvLookup& env);

}  // namespace thaw::s3::internal
