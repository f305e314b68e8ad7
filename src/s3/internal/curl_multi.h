// Internal to the s3 module: CurlMultiLoop, the event loop behind HttpTransport::SendAsync on
// the curl transport. One thread drives any number of transfers through a libcurl multi handle:
// N requests in flight cost one thread, not N threads each blocked in its own poll, with the
// context switches and futex hand-offs that come with them. Connections are kept and reused by
// the multi handle.
//
// The loop is event driven (curl_multi_socket_action on an epoll set, curl's own timers as the
// wait's deadline): a wake-up costs work for the sockets that are ready, not a poll over every
// connection and a walk over every transfer (curl_multi_poll / curl_multi_perform). With 32
// requests in flight that scan was a quarter of a bulk restore's CPU time, on a machine it
// may share with the endpoint.
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
#include <optional>
#include <string>
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
  // curl's callbacks (CURLMOPT_SOCKETFUNCTION / CURLMOPT_TIMERFUNCTION), on the loop thread.
  static int OnSocket(CURL* easy, curl_socket_t fd, int what, void* self, void* socketp);
  static int OnTimer(CURLM* multi, long timeout_ms, void* self);
  void Wake();
  void Run();
  // Loop thread: how long epoll may wait, given curl's timer and the next delayed transfer.
  int WaitMs(Clock::Duration until_delayed);
  void RunTimeoutIfDue();
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
  int epoll_fd_ = -1;
  int wake_fd_ = -1;         // an eventfd in the epoll set: Start and the destructor write to it
  std::string setup_error_;  // why the loop could not start (then every Start fails)

  std::mutex mu_;  // guards incoming_ and stopping_
  std::vector<std::pair<Clock::TimePoint, std::unique_ptr<Active>>> incoming_;
  bool stopping_ = false;

  // Loop thread only.
  std::multimap<Clock::TimePoint, std::unique_ptr<Active>> delayed_;
  std::map<CURL*, std::unique_ptr<Active>> running_;  // by easy handle
  std::vector<CURL*> idle_easy_;                      // handles kept for reuse
  std::optional<Clock::TimePoint> curl_deadline_;     // when curl wants its timeout action
  std::thread thread_;
};

}  // namespace thaw::s3::internal
