// Status -> errno (see errno_map.h).
#include "fs/errno_map.h"

#include <cerrno>

namespace thaw::fs {

int ErrnoFor(const Status& status) {
  if (status.ok()) return 0;
  switch (status.code()) {
    case StatusCode::kNotFound:
      return ENOENT;
    case StatusCode::kPermissionDenied:
    case StatusCode::kUnauthenticated:
      return EACCES;
    case StatusCode::kDeadlineExceeded:
      return ETIMEDOUT;
    case StatusCode::kCancelled:
      return EINTR;
    case StatusCode::kInvalidArgument:
      return EINVAL;
    case StatusCode::kUnimplemented:
      return ENOTSUP;
    default:
      return EIO;
  }
}

}  // namespace thaw::fs
