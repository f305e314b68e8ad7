// The mount: runs thaw's FUSE file system over s3://bucket/prefix at a mount point until it is
// unmounted (`thaw unmount`, fusermount3 -u, umount) or the process gets SIGTERM/SIGINT.
//
// Opens of archived objects go to the restore engine (source "mount"); blocking ones wait
// without holding a FUSE thread (open_waiters.h). At the end, opens still waiting fail with EIO;
// their restores stay in the engine's journal for the next mount or `thaw status`.
//
// The caller owns the client and the engine; both must outlive RunMount.
#pragma once

#include <functional>
#include <string>

#include "common/status.h"
#include "fs/options.h"
#include "restore/engine.h"
#include "s3/client.h"

namespace thaw::fs {

// Checks what can be checked before mounting, with a hint for each failure: /dev/fuse usable,
// mount point an existing, unmounted directory, bucket (and prefix) listable with these
// credentials.
Status Preflight(const MountOptions& options, s3::S3Client& client);

// Mounts, calls `on_mounted` once the kernel serves the mount, and serves requests until
// unmounted or signalled. Returns the first error that kept the mount from starting.
Status RunMount(const MountOptions& options, s3::S3Client& client, restore::Engine& engine,
                const std::function<void()>& on_mounted);

// EngineOptions::on_change observer for a mount: one log line (info) when a restore is sent
// or joins one already running, and one when it completes, fails or is skipped.
std::function<void(const restore::RestoreRecord&)> RestoreLogger();

// Unmounts `mountpoint` (umount2 as root, else fusermount3 -u); `lazy` detaches a busy mount.
Status Unmount(const std::string& mountpoint, bool lazy);

}  // namespace thaw::fs
