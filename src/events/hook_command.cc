// Hook commands from templates (see hook_command.h): one-pass expansion, quoting, and the
// containment check that keeps {path} inside its mapping.
#include "events/hook_command.h"

#include <filesystem>

#include "common/s3_uri.h"
#include "common/strings.h"

namespace thaw::events {
namespace {

constexpr std::string_view kPathPlaceholder = "{path}";

// A key's remainder below a mapping's prefix can be a path below LOCAL_DIR only if it is plain:
// every segment non-empty and neither "." nor "..". Then LOCAL_DIR + "/" + rest cannot leave
// LOCAL_DIR lexically, whatever the bytes of the segments.
bool IsPlainRelativePath(std::string_view rest) {
  if (rest.empty() || rest.find('\0') != std::string_view::npos) return false;
  for (const std::string& segment : Split(rest, '/')) {
    if (segment.empty() || segment == "." || segment == "..") return false;
  }
  return true;
}

bool HasNul(std::string_view s) {
  return s.find('\0') != std::string_view::npos;
}

}  // namespace

std::string ShellQuote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

Result<PathMap> ParsePathMap(std::string_view spec) {
  size_t eq = spec.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    return Status::InvalidArgument("--map '" + std::string(spec) +
                                   "': expected LOCAL_DIR=s3://BUCKET[/PREFIX]");
  }
  std::filesystem::path local(std::string(spec.substr(0, eq)));
  if (!local.is_absolute()) {
    return Status::InvalidArgument("--map '" + std::string(spec) +
                                   "': LOCAL_DIR must be an absolute path");
  }
  PathMap m;
  m.local = local.lexically_normal().string();
  while (m.local.size() > 1 && m.local.back() == '/') m.local.pop_back();
  auto uri = ParseS3Uri(spec.substr(eq + 1));
  if (!uri.ok()) return uri.status().WithContext("--map '" + std::string(spec) + "'");
  m.bucket = uri->bucket;
  m.prefix = uri->key;
  if (!m.prefix.empty() && m.prefix.back() != '/') m.prefix += '/';
  return m;
}

MappedPath MapToLocalPath(const std::vector<PathMap>& maps, const restore::ObjectRef& object) {
  const PathMap* best = nullptr;
  for (const auto& m : maps) {
    if (m.bucket != object.bucket || !StartsWith(object.key, m.prefix)) continue;
    if (best == nullptr || m.prefix.size() > best->prefix.size()) best = &m;
  }
  if (best == nullptr) return {MapOutcome::kUnmapped, ""};
  std::string_view rest = std::string_view(object.key).substr(best->prefix.size());
  if (!IsPlainRelativePath(rest)) return {MapOutcome::kUnsafe, ""};
  std::string path =
      best->local == "/" ? "/" + std::string(rest) : best->local + "/" + std::string(rest);
  return {MapOutcome::kMapped, std::move(path)};
}

bool HookTemplate::UsesPath() const {
  if (shell.find(kPathPlaceholder) != std::string::npos) return true;
  for (const auto& a : argv) {
    if (a.find(kPathPlaceholder) != std::string::npos) return true;
  }
  return false;
}

std::string ExpandPlaceholders(std::string_view text,
                               const std::vector<std::pair<std::string, std::string>>& values,
                               bool quote) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    bool replaced = false;
    if (text[i] == '{') {
      for (const auto& [name, value] : values) {
        // name is "key" for the placeholder "{key}".
        if (text.compare(i + 1, name.size(), name) == 0 && i + 1 + name.size() < text.size() &&
            text[i + 1 + name.size()] == '}') {
          out += quote ? ShellQuote(value) : value;
          i += name.size() + 2;
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) out += text[i++];
  }
  return out;
}

Expansion ExpandHook(const HookTemplate& tmpl, const std::vector<PathMap>& maps,
                     const HookSubject& subject) {
  const restore::ObjectRef& o = subject.object;
  if (HasNul(o.bucket) || HasNul(o.key) || HasNul(o.version_id) || HasNul(subject.storage_class)) {
    return {ExpandOutcome::kUnsafe, {}};
  }
  MappedPath mapped = MapToLocalPath(maps, o);
  if (mapped.outcome == MapOutcome::kUnsafe) return {ExpandOutcome::kUnsafe, {}};
  if (mapped.outcome == MapOutcome::kUnmapped && tmpl.UsesPath()) {
    return {ExpandOutcome::kUnmapped, {}};
  }
  std::vector<std::pair<std::string, std::string>> values = {
      {"bucket", o.bucket},
      {"key", o.key},
      {"version", o.version_id},
      {"storage_class", subject.storage_class},
  };
  if (mapped.outcome == MapOutcome::kMapped) values.emplace_back("path", mapped.path);

  Expansion e;
  HookCommand& c = e.command;
  if (!tmpl.argv.empty()) {
    for (const auto& arg : tmpl.argv) c.argv.push_back(ExpandPlaceholders(arg, values, false));
    for (const auto& arg : c.argv) {
      if (!c.display.empty()) c.display += ' ';
      c.display += ShellQuote(arg);
    }
  } else {
    std::string line = ExpandPlaceholders(tmpl.shell, values, true);
    c.argv = {"/bin/sh", "-c", line};
    c.display = std::move(line);
  }
  c.env = {"THAW_BUCKET=" + o.bucket, "THAW_KEY=" + o.key, "THAW_VERSION_ID=" + o.version_id,
           "THAW_STORAGE_CLASS=" + subject.storage_class};
  if (mapped.outcome == MapOutcome::kMapped) c.env.push_back("THAW_PATH=" + mapped.path);
  return e;
}

}  // namespace thaw::events
