// A minimal HTTP/1.0 endpoint for operators and their scrapers: GET /metrics answers the
// Prometheus text exposition format (version 0.0.4) that `render` returns, GET /healthz answers
// 200 "ok" or 503 with the reason that `health` returns. One thread, one connection at a time,
// requests capped at 8 KiB (431 above), each request's header due whole within a read timeout
// (408 after it, whether nothing or a trickle arrived): enough for a scraper every few seconds,
// not a general web server, and a slow or silent client cannot keep the scrapers out for long.
//
// Thread safety: Start/Stop from one thread; the callbacks run on the server thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include "common/metrics.h"
#include "common/status.h"

namespace thaw {

class MetricsServer {
 public:
  using Render = std::function<std::string()>;
  // Empty string: healthy. Otherwise the reason it is not.
  using Health = std::function<std::string()>;

  MetricsServer(Render render, Health health);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Listens on "HOST:PORT", ":PORT" or "PORT" (PORT 0: any free port; HOST an IPv4 address or
  // "localhost"; no host: 127.0.0.1).
  Status Start(const std::string& listen);
  void Stop();
  int port() const { return port_; }
  const std::string& host() const { return host_; }  // the address bound, e.g. "127.0.0.1"
  // How long a request's header may take to arrive (default 5 s). Before Start().
  void set_read_timeout(std::chrono::milliseconds t) { read_timeout_ = t; }
  // Connections dropped for a slow request (408) and refused for a large one (431).
  uint64_t timeouts() const { return timeouts_.load(); }
  uint64_t refused() const { return refused_.load(); }

  static constexpr size_t kMaxRequestBytes = 8192;

 private:
  void Loop();
  void Serve(int conn);

  Render render_;
  Health health_;
  int fd_ = -1;
  int port_ = 0;
  std::string host_;
  std::chrono::milliseconds read_timeout_{5000};
  std::atomic<uint64_t> timeouts_{0};
  std::atomic<uint64_t> refused_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace thaw
