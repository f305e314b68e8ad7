// The mount(8) helper form of `thaw mount`, so that `mount -t fuse.thaw s3://BUCKET[/PREFIX] DIR
// -o OPTIONS` and the matching /etc/fstab line work:
//   - mount(8) runs /sbin/mount.fuse.thaw (a link to thaw the package installs) as
//     `mount.fuse.thaw SOURCE DIR [-sfnv] [-o OPTIONS] [-t fuse.thaw]`;
//   - without that link, fuse3's mount.fuse runs `thaw SOURCE DIR -o OPTIONS`.
// Both are rewritten into `thaw mount SOURCE DIR --name=value ...`. Each -o option is a long
// option of `thaw mount` (or a global one, e.g. endpoint_url, profile, region) with `_` or `-`,
// as name=value or, for flags, bare; the table comes from the CLI11 definition itself, so a new
// mount option needs nothing here. mount(8)'s generic options (rw, ro, nofail, _netdev, x-*, ...)
// are ignored or mapped (ro -> --read-only). An unknown option is an error naming it, before
// anything is mounted.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "common/status.h"

namespace thaw::cli {

// Whether argv is the helper form: argv[0] is mount.fuse.thaw / mount.thaw, or argv[1] is an
// s3:// URI (no subcommand starts with "s3:").
bool IsMountHelperForm(const std::vector<std::string>& argv);

struct MountHelperCall {
  std::vector<std::string> argv;  // thaw mount SOURCE DIR --opt...
  bool fake = false;              // mount -f: check everything, mount nothing
  bool verbose = false;           // mount -v: print the command run
};

// Rewrites helper-form `argv` using the options `app` (with its "mount" subcommand) defines.
// `running_as_root`: a system mount without state_dir= keeps its journal in /var/lib/thaw
// (where thaw-mount@.service keeps it too) and reads /etc/thaw/config.toml when it exists.
Result<MountHelperCall> RewriteMountHelperArgs(const CLI::App& app,
                                               const std::vector<std::string>& argv,
                                               bool running_as_root);

}  // namespace thaw::cli
