// Opens the read path's connections before the first big read needs them.
//
// The first read of a large file fans out into parallel_gets ranged GETs at once. On a new
// mount each of them would start on a new connection: a TCP handshake, against S3 a TLS
// handshake (one or two more round trips and the CPU of the key exchange), and a fresh
// connection's slow first transfer. Measured on thaw sim with 20 ms per request (bench/mount's
// S3-like profile), 24 parallel 1.3 MiB GETs took 59-71 ms on new connections and 27-35 ms on
// connections that had carried one small request before; curl shows the same. So, once
// mounted, the mount sends `connections` tiny requests at once on its fetch threads (each holds
// one pooled connection while it runs), leaving that many warm connections in the pool.
//
// The request is HeadBucket: the cheapest authenticated call (a HEAD, no body), allowed to
// whoever may list the bucket, as the mount must; 24 of them cost a thousandth of a cent. S3 closes
// a connection after some seconds idle, so this helps the reads soon after mounting (a job that
// mounts and then reads); a reader that keeps reading keeps its connections warm itself.
#pragma once

#include <functional>
#include <string>

#include "fs/prefetch.h"
#include "s3/client.h"

namespace thaw::fs {

// Queues the warm-up on `pool` and returns; failures are logged (debug) and otherwise ignored:
// the reads that follow open their own connections as before. `connections` <= 0: nothing;
// at most as many as the pool has threads. `done` (if any) runs once every request has
// finished, on the pool thread of the last one (at once, on this thread, when there are none).
void WarmConnections(s3::S3Client& client, FetchPool& pool, const std::string& bucket,
                     int connections, std::function<void()> done = {});

}  // namespace thaw::fs
