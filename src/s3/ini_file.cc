// The AWS shared config and credentials files: parsing their ini dialect and loading a profile.
//
// The dialect is what botocore gets from Python's configparser (RawConfigParser, strict) plus its
// one level of nested sub-sections:
//   - blank lines and lines whose first non-blank character is # or ; are ignored (no inline
//     comments: `#` inside a value is part of the value);
//   - `[name]` opens a section; `key = value` or `key: value` sets a key, whose name is
//     lower-cased, in the current section; the value is trimmed and may contain = and :;
//   - a line indented deeper than the key before it continues that key: after an empty value the
//     continuation lines are `sub = value` pairs kept as "key.sub", otherwise they extend the
//     value on a new line;
//   - a duplicate section or key, a key outside any section or a line that is none of the above
//     is an error, as it is for the AWS CLI.
// Error messages give file:line and never quote the line: it may hold a secret.
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "common/strings.h"
#include "s3/credentials.h"
#include "s3/internal/shared_config.h"

namespace thaw::s3 {
namespace {

size_t IndentOf(std::string_view line) {
  size_t n = 0;
  while (n < line.size() && (line[n] == ' ' || line[n] == '\t')) ++n;
  return n;
}

// "profile   x" and "profile x" name the same profile (botocore splits on whitespace).
std::string CollapseSpaces(std::string_view s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (c == ' ' || c == '\t') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

// Key names appear in errors only when they look like key names: a secret pasted on a line of
// its own with a ':' in it would otherwise be quoted back as the "key".
std::string DescribeKey(const std::string& key) {
  bool plain =
      key.size() <= 32 &&
      key.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_.-") == std::string::npos;
  return plain ? "key '" + key + "'" : "a key";
}

class IniParser {
 public:
  explicit IniParser(const std::string& origin) : origin_(origin) {}

  Status Line(std::string_view raw, int line_no) {
    line_no_ = line_no;
    std::string_view text = Trim(raw);
    if (text.empty() || text[0] == '#' || text[0] == ';') return Status::Ok();
    size_t indent = IndentOf(raw);
    if (section_ != nullptr && !key_.empty() && indent > key_indent_) return Continuation(text);
    if (text[0] == '[') return SectionHeader(text);
    return KeyValue(text, indent);
  }

  IniFile Finish() { return std::move(file_); }

 private:
  Status Error(const std::string& reason) const {
    return Status::InvalidArgument(origin_ + ":" + std::to_string(line_no_) + ": " + reason);
  }

  Status SectionHeader(std::string_view text) {
    if (text.back() != ']') return Error("a section header must end with ']'");
    std::string name = CollapseSpaces(Trim(text.substr(1, text.size() - 2)));
    if (name.empty()) return Error("empty section name");
    if (file_.sections.count(name) != 0) return Error("duplicate section [" + name + "]");
    section_name_ = name;
    section_ = &file_.sections[name];
    keys_seen_.clear();
    key_.clear();
    return Status::Ok();
  }

  Status KeyValue(std::string_view text, size_t indent) {
    size_t delim = text.find_first_of("=:");
    if (delim == std::string_view::npos) return Error("expected 'key = value' or '[section]'");
    std::string key = ToLower(Trim(text.substr(0, delim)));
    if (key.empty()) {
      return Error("a key name is missing before '" + std::string(1, text[delim]) + "'");
    }
    if (section_ == nullptr) return Error(DescribeKey(key) + " comes before any [section]");
    if (!keys_seen_.insert(key).second) {
      return Error("duplicate " + DescribeKey(key) + " in [" + section_name_ + "]");
    }
    (*section_)[key] = std::string(Trim(text.substr(delim + 1)));
    key_ = key;
    key_indent_ = indent;
    nested_ = (*section_)[key].empty();
    return Status::Ok();
  }

  Status Continuation(std::string_view text) {
    if (!nested_) {
      (*section_)[key_] += "\n" + std::string(text);
      return Status::Ok();
    }
    size_t eq = text.find('=');
    if (eq == std::string_view::npos) {
      return Error("expected 'name = value' in the sub-section of " + DescribeKey(key_));
    }
    std::string sub(Trim(text.substr(0, eq)));
    if (sub.empty()) {
      return Error("a key name is missing in the sub-section of " + DescribeKey(key_));
    }
    // The parent exists only as a prefix once it has sub-keys.
    section_->erase(key_);
    (*section_)[key_ + "." + sub] = std::string(Trim(text.substr(eq + 1)));
    return Status::Ok();
  }

  const std::string& origin_;
  IniFile file_;
  int line_no_ = 0;
  std::string section_name_;
  std::map<std::string, std::string>* section_ = nullptr;  // into file_.sections
  std::set<std::string> keys_seen_;  // in the current section, sub-section parents included
  std::string key_;                  // the last key of the current section, for continuation lines
  size_t key_indent_ = 0;
  bool nested_ = false;  // key_ had an empty value: continuation lines are sub-keys
};

}  // namespace

Result<IniFile> ParseIniText(std::string_view text, const std::string& origin) {
  if (StartsWith(text, "\xEF\xBB\xBF")) text.remove_prefix(3);  // UTF-8 byte order mark
  IniParser parser(origin);
  int line_no = 0;
  while (!text.empty() || line_no == 0) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    THAW_RETURN_IF_ERROR(parser.Line(line, ++line_no));
  }
  return parser.Finish();
}

Result<IniFile> ParseIniFile(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::file_status st = fs::status(path, ec);
  if (!fs::exists(st)) return Status::NotFound(path + ": no such file");
  if (!fs::is_regular_file(st)) return Status::InvalidArgument(path + ": not a regular file");
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int err = errno;
    return Status::PermissionDenied(path + ": cannot open: " + std::strerror(err));
  }
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) return Status::DataLoss(path + ": read error");
  return ParseIniText(content.str(), path);
}

const std::map<std::string, std::string>* ProfileSection(const IniFile& config,
                                                         const std::string& name) {
  auto it = config.sections.find("profile " + name);
  if (it == config.sections.end() && name == "default") it = config.sections.find("default");
  return it == config.sections.end() ? nullptr : &it->second;
}

namespace internal {

std::string EnvValue(const EnvLookup& env, const std::string& name) {
  if (!env) return "";
  return env(name).value_or("");
}

std::string ResolveProfileName(const std::string& name, const EnvLookup& env) {
  if (!name.empty()) return name;
  std::string from_env = EnvValue(env, "AWS_PROFILE");
  return from_env.empty() ? "default" : from_env;
}

std::string ExpandHome(const std::string& path, const EnvLookup& env) {
  if (path != "~" && !StartsWith(path, "~/")) return path;
  std::string home = EnvValue(env, "HOME");
  if (home.empty()) return path;  // nothing to expand with: the file will not be found
  return home + path.substr(1);
}

namespace {

// Reads one shared file. A missing file is no section rather than an error.
Result<std::optional<Section>> ReadSection(const std::string& path, bool config_file,
                                           const std::string& profile) {
  Result<IniFile> file = ParseIniFile(path);
  if (file.status().IsNotFound()) return std::optional<Section>();
  if (!file.ok()) return file.status();
  const Section* section = nullptr;
  if (config_file) {
    section = ProfileSection(*file, profile);
  } else {
    auto it = file->sections.find(profile);
    if (it != file->sections.end()) section = &it->second;
  }
  if (section == nullptr) return std::optional<Section>();
  Section out = *section;
  // `services = NAME` names a [services NAME] section of the same file whose nested entries
  // (s3 = / endpoint_url = URL) configure one service each; they reach the profile's settings
  // as "services:s3.endpoint_url" (see s3/endpoints.h).
  if (auto it = out.find("services"); config_file && it != out.end()) {
    auto services = file->sections.find("services " + std::string(Trim(it->second)));
    if (services != file->sections.end()) {
      for (const auto& [k, v] : services->second) out["services:" + k] = v;
    }
  }
  return std::optional<Section>(std::move(out));
}

}  // namespace

Result<ProfileSources> LoadProfileSources(const std::string& name, const EnvLookup& env) {
  ProfileSources src;
  src.profile = ResolveProfileName(name, env);
  std::string creds = EnvValue(env, "AWS_SHARED_CREDENTIALS_FILE");
  std::string config = EnvValue(env, "AWS_CONFIG_FILE");
  src.credentials_path = ExpandHome(creds.empty() ? "~/.aws/credentials" : creds, env);
  src.config_path = ExpandHome(config.empty() ? "~/.aws/config" : config, env);
  THAW_ASSIGN_OR_RETURN(src.credentials, ReadSection(src.credentials_path, false, src.profile));
  THAW_ASSIGN_OR_RETURN(src.config, ReadSection(src.config_path, true, src.profile));
  return src;
}

}  // namespace internal

Result<ProfileSettings> LoadProfile(const std::string& name, const EnvLookup& env) {
  THAW_ASSIGN_OR_RETURN(internal::ProfileSources src, internal::LoadProfileSources(name, env));
  if (!src.found() && src.profile != "default") {
    return Status::NotFound("profile '" + src.profile + "' not found in " + src.credentials_path +
                            " or " + src.config_path);
  }
  ProfileSettings settings;
  if (src.config) settings.values = *src.config;
  // The credentials file wins for keys both files set.
  if (src.credentials) {
    for (const auto& [k, v] : *src.credentials) settings.values[k] = v;
  }
  return settings;
}

}  // namespace thaw::s3
