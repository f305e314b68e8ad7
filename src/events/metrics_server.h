// A minimal HTTP/1.0 endpoint for operators and their scrapers: GET /metrics answers the
// Prometheus text exposition format (version 0.0.4) that `render` returns, GET /healthz answers
// 200 "ok" or 503 with the reason that `health` returns. One thread, one connection at a time,
// requests capped at 8 KiB: enough for a scraper every few seconds, not a general web server.
//
// Thread safety: Start/Stop from one thread; the callbacks run on the server thread.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <thread>

#include "common/status.h"

namespace thaw::events {

class MetricsServer {
 public:
  using Render = std::function<std::string()>;
  // Empty string: healthy. Otherwise the reason it is not.
  using Health = std::function<std::string()>;

  MetricsServer(Render render, Health health);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Listens on "HOST:PORT" (PORT 0: any free port; HOST an IPv4 address or "localhost").
  Status Start(const std::string& listen);
  void Stop();
  int port() const { return port_; }

 private:
  void Loop();

  Render render_;
  Health health_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Appends one metric in the text format: "# HELP", "# TYPE" and the sample line.
void AppendMetric(std::string& out, const std::string& name, const std::string& type,
                  const std::string& help, double value);

}  // namespace thaw::events
