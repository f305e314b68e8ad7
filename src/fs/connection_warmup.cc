// WarmConnections (see connection_warmup.h).
#include "fs/connection_warmup.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>

namespace thaw::fs {
namespace {

// The requests only leave distinct connections behind if they run at the same time: each
// waits (briefly) for the others to have started, so none returns its connection to the pool
// before the next one takes a connection out of it.
constexpr auto kGatherWait = std::chrono::milliseconds(500);

struct Gathering {
  std::mutex mu;
  std::condition_variable cv;
  int started = 0;
  int warmed = 0;
  int finished = 0;
};

}  // namespace

void WarmConnections(s3::S3Client& client, FetchPool& pool, const std::string& bucket,
                     int connections, std::function<void()> done) {
  // More than the pool's threads could not run at once: the first ones would only wait out
  // the gathering for the others, holding threads the first reads may need.
  connections = std::min(connections, pool.threads());
  if (connections <= 0) {
    if (done) done();
    return;
  }
  auto g = std::make_shared<Gathering>();
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < connections; ++i) {
    pool.Submit([&client, bucket, connections, g, start, done] {
      {
        std::unique_lock<std::mutex> l(g->mu);
        ++g->started;
        g->cv.notify_all();
        g->cv.wait_for(l, kGatherWait, [&] { return g->started >= connections; });
      }
      Status s = client.HeadBucket(bucket);
      {
        std::lock_guard<std::mutex> l(g->mu);
        if (s.ok()) {
          ++g->warmed;
        } else {
          spdlog::debug("mount: warming a connection: {}", s.ToString());
        }
        if (++g->finished < connections) return;
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - start);
        spdlog::debug("mount: {} of {} connections warmed in {} ms", g->warmed, connections,
                      ms.count());
      }
      if (done) done();
    });
  }
}

}  // namespace thaw::fs
