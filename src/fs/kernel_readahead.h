// The kernel's readahead for a FUSE mount. Linux gives every FUSE mount a backing device whose
// readahead is 128 KiB whatever the file system asks for at init (the kernel takes the smaller
// of the two), so sequential reads reach the mount as 128 KiB requests: a FUSE round trip per
// 128 KiB caps a reader near 1.6 GB/s on a machine that moves 3.3 GB/s with 1 MiB requests.
// Root can raise it through /sys/class/bdi/MAJ:MIN/read_ahead_kb once the mount exists.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace thaw::fs {

// "MAJ:MIN" of the newest mount at `mountpoint` in /proc/self/mountinfo text (mount points
// there escape space, tab, newline and backslash as octal: "\040").
std::optional<std::string> MountDeviceId(std::string_view mountinfo, const std::string& mountpoint);

// Sets the readahead of the mount at `mountpoint` (rounded up to KiB). Fails without root.
Status SetKernelReadahead(const std::string& mountpoint, uint64_t bytes);

}  // namespace thaw::fs
