// libfuse3's low-level API at the version thaw is written against (3.12: fuse_loop_cfg_*).
#pragma once

#ifndef FUSE_USE_VERSION
#define FUSE_USE_VERSION 312
#endif
#include <fuse_lowlevel.h>
