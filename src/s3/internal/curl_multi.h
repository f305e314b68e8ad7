// Internal to the s3 module: CurlMultiLoop, the event loop behind HttpTransport::SendAsync on
// the curl transport. One thread drives any number of transfers through a libcurl multi handle
// (curl_multi_poll / curl_multi_perform): N requests in flight cost one thread and one poll per
// wake-up, not N threads each blocked in its own poll, with the context switches and futex
// hand-offs that come with them. Connections are kept and reused by the multi handle.
//
// A transfer may start after a delay (a retry's backoff): it waits in the loop's timer list,
// not in a sleeping thread.
//
// Ownership and threads: Start may be called from any thread. Callbacks run on the loop's
// thread, one at a time; they must be quick and must not block (every transfer waits while one
// runs), and may call Start again (a retry). The destructor fails whatever is still waiting or
// under way with kAborted (callers that care drain their requests first) and joins the thread.
#pragma once

#include <curl/curl.h>

#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "s3/http.h"
#include "s3/internal/proxies.h"

namespace thaw::s3::internal {

class CurlMultiLoop {
 public:
  // `share` (may be null) is a curl share handle used by the transfers; it must outlive the loop.
  CurlMultiLoop(const TransportOptions& options, const ProxySettings& proxies, CURLSH* share);
  ~CurlMultiLoop();
  CurlMultiLoop(const CurlMultiLoop&) = delete;
  CurlMultiLoop& operator=(const CurlMultiLoop&) = delete;

  void Start(HttpRequest request, Clock::Duration delay, HttpCallback done);

 private:
  struct Active;
  void Run();
  // Loop thread: adds every submitted transfer that is due; returns how long until the next
  // delayed one is (capped at `idle`).
  Clock::Duration AddDue(Clock::Duration idle);
  void AddHandle(std::unique_ptr<Active> a);
  // Loop thread: hands finished transfers to their callbacks.
  void Reap();
  void AbortAll();

  const TransportOptions options_;
  const ProxySettings proxies_;
  CURLSH* const share_;
  CURLM* multi_ = nullptr;

  std::mutex mu_;  // guards incoming_ and stopping_
  std::vector<std::pair<Clock::TimePoint, std::unique_ptr<Active>>> incoming_;
  bool stopping_ = false;

  // Loop thread only.
  std::multimap<Clock::TimePoint, std::unique_ptr<Active>> delayed_;
  std::map<CURL*, std::unique_ptr<Active>> running_;  // by easy handle
  std::vector<CURL*> idle_easy_;                      // handles kept for reuse
  std::thread thread_;
};

}  // namespace thaw::s3::internal
