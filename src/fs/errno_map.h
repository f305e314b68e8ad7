// The one place where thaw's Status values become errno for FUSE replies.
#pragma once

#include "common/status.h"

namespace thaw::fs {

// NotFound -> ENOENT, PermissionDenied/Unauthenticated -> EACCES, DeadlineExceeded ->
// ETIMEDOUT, Cancelled -> EINTR, InvalidArgument -> EINVAL, Unimplemented -> ENOTSUP;
// everything else (network, 5xx, an expired restored copy, a replaced
// object's 412, short bodies) -> EIO.
int ErrnoFor(const Status& status);

}  // namespace thaw::fs
