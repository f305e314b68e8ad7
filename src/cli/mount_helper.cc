// mount(8) helper form of `thaw mount` (see mount_helper.h).
#include "cli/mount_helper.h"

#include <unistd.h>

#include <algorithm>
#include <map>
#include <set>

#include "common/strings.h"

namespace thaw::cli {
namespace {

// Options mount(8) and fstab carry for the kernel's VFS layer or for mount(8) and systemd
// themselves. A FUSE mount of thaw has nothing to do with them (a FUSE daemon cannot honour
// e.g. `sync`), so they are accepted and ignored; `ro` is mapped below.
const std::set<std::string>& GenericOptions() {
  static const std::set<std::string> kGeneric = {
      "rw",       "defaults",   "auto",       "noauto",      "nofail",
      "_netdev",  "user",       "nouser",     "users",       "owner",
      "group",    "dev",        "nodev",      "suid",        "nosuid",
      "exec",     "noexec",     "async",      "sync",        "atime",
      "noatime",  "relatime",   "norelatime", "strictatime", "nostrictatime",
      "lazytime", "nolazytime", "diratime",   "nodiratime",  "silent",
      "loud",     "iversion",   "noiversion", "mand",        "nomand"};
  return kGeneric;
}

bool IsIgnoredGeneric(const std::string& name) {
  // x-systemd.*, x-gvfs-*, X-mount.* ...: userspace options for systemd and mount(8); comment=
  // is the older spelling of the same idea.
  return GenericOptions().count(name) > 0 || StartsWith(name, "x-") || StartsWith(name, "X-") ||
         name == "comment";
}

// "cache_dir" and "Cache-Dir" both become "cache-dir".
std::string Normalize(std::string name) {
  for (char& c : name) {
    if (c == '_') c = '-';
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return name;
}

// Splits "a,b=c,d=\"x,y\"" at commas outside double quotes and drops the quotes (libmount's
// quoting, so a value may hold a comma).
std::vector<std::string> SplitOptions(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (char c : s) {
    if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

// Long name (normalized) -> option, for `thaw mount` and the global options it falls through to.
// Help and version are not mount options.
std::map<std::string, const CLI::Option*> LongOptions(const CLI::App& app) {
  std::map<std::string, const CLI::Option*> out;
  auto add = [&](const CLI::App& from) {
    for (const CLI::Option* opt : from.get_options()) {
      for (const std::string& l : opt->get_lnames()) {
        if (l == "help" || l == "help-all" || l == "version") continue;
        out.emplace(Normalize(l), opt);
      }
    }
  };
  add(*app.get_subcommand("mount"));
  add(app);
  return out;
}

bool Given(const std::vector<std::string>& args, const std::string& long_name) {
  return std::any_of(args.begin(), args.end(), [&](const std::string& a) {
    return a == "--" + long_name || StartsWith(a, "--" + long_name + "=");
  });
}

}  // namespace

bool IsMountHelperForm(const std::vector<std::string>& argv) {
  if (argv.empty()) return false;
  std::string base = argv[0].substr(argv[0].find_last_of('/') + 1);
  if (StartsWith(base, "mount.")) return true;
  return argv.size() > 1 && StartsWith(argv[1], "s3://");
}

Result<MountHelperCall> RewriteMountHelperArgs(const CLI::App& app,
                                               const std::vector<std::string>& argv,
                                               bool running_as_root) {
  std::vector<std::string> positional;
  std::string options;
  MountHelperCall call;
  for (size_t i = 1; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a == "-o" || a == "-t") {
      if (i + 1 >= argv.size()) return Status::InvalidArgument(a + " needs a value");
      // -t fuse.thaw: mount(8) says which type it mounts; only one is ours.
      if (a == "-o") options += (options.empty() ? "" : ",") + argv[i + 1];
      ++i;
    } else if (StartsWith(a, "-o")) {
      options += (options.empty() ? "" : ",") + a.substr(2);
    } else if (a.size() > 1 && a[0] == '-' &&
               a.find_first_not_of("sfnvw", 1) == std::string::npos) {
      // mount(8)'s helper flags: -s sloppy, -f fake, -n no mtab, -v verbose, -w read-write.
      if (a.find('f') != std::string::npos) call.fake = true;
      if (a.find('v') != std::string::npos) call.verbose = true;
    } else if (!a.empty() && a[0] == '-') {
      return Status::InvalidArgument("unknown argument '" + a +
                                     "' (usage: mount.fuse.thaw s3://BUCKET[/PREFIX] DIR "
                                     "[-o OPTION[=VALUE],...])");
    } else {
      positional.push_back(a);
    }
  }
  if (positional.size() != 2) {
    return Status::InvalidArgument(
        "expected s3://BUCKET[/PREFIX] and a mount point (usage: mount.fuse.thaw "
        "s3://BUCKET[/PREFIX] DIR [-o OPTION[=VALUE],...])");
  }
  call.argv = {"thaw", "mount", positional[0], positional[1]};
  const auto long_options = LongOptions(app);
  for (const std::string& item : SplitOptions(options)) {
    size_t eq = item.find('=');
    std::string raw = item.substr(0, eq);
    if (IsIgnoredGeneric(raw)) continue;
    if (raw == "ro") {
      call.argv.push_back("--read-only");
      continue;
    }
    auto it = long_options.find(Normalize(raw));
    if (it == long_options.end()) {
      return Status::InvalidArgument("unknown mount option '" + raw +
                                     "' (see `thaw mount --help`; any long option works as "
                                     "name=value, flags bare)");
    }
    const CLI::Option* opt = it->second;
    std::string flag = "--" + opt->get_lnames().front();
    if (eq == std::string::npos) {
      if (opt->get_expected_max() != 0) {
        return Status::InvalidArgument("mount option '" + raw + "' needs a value (" + raw +
                                       "=...)");
      }
      call.argv.push_back(flag);
    } else {
      call.argv.push_back(flag + "=" + item.substr(eq + 1));
    }
  }
  if (running_as_root) {
    // A system mount (fstab, a mount unit): no HOME to derive paths from, and the same places
    // as thaw-mount@.service.
    if (!Given(call.argv, "state-dir")) call.argv.push_back("--state-dir=/var/lib/thaw");
    if (!Given(call.argv, "config") && access("/etc/thaw/config.toml", R_OK) == 0) {
      call.argv.push_back("--config=/etc/thaw/config.toml");
    }
  }
  return call;
}

}  // namespace thaw::cli
