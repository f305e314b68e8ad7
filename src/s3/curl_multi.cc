// CurlMultiLoop (see internal/curl_multi.h).
#include "s3/internal/curl_multi.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "s3/internal/curl_easy.h"

namespace thaw::s3::internal {
namespace {

// The loop wakes at least this often with nothing to do (curl's own timeouts are shorter when
// transfers run; Start wakes it at once).
constexpr auto kIdleWake = std::chrono::seconds(1);
constexpr int kMaxEvents = 64;

int CurlEvents(uint32_t epoll_events) {
  int action = 0;
  if (epoll_events & EPOLLIN) action |= CURL_CSELECT_IN;
  if (epoll_events & EPOLLOUT) action |= CURL_CSELECT_OUT;
  if (epoll_events & (EPOLLERR | EPOLLHUP)) action |= CURL_CSELECT_ERR;
  return action;
}

}  // namespace

// One transfer: the request it owns, curl's view of it and the callback to run at the end.
struct CurlMultiLoop::Active {
  HttpRequest request;
  HttpCallback done;
  BodySink no_sink;  // answers are collected into the response
  Transfer t;
  curl_slist* headers = nullptr;
  char errbuf[CURL_ERROR_SIZE] = {0};
};

CurlMultiLoop::CurlMultiLoop(const TransportOptions& options, const ProxySettings& proxies,
                             CURLSH* share)
    : options_(options), proxies_(proxies), share_(share) {
  CurlGlobalInitOnce();
  multi_ = curl_multi_init();
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (epoll_fd_ >= 0 && wake_fd_ >= 0) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = wake_fd_;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev) != 0) {
      setup_error_ = std::string("epoll_ctl: ") + std::strerror(errno);
    }
  } else {
    setup_error_ = std::string("epoll_create1/eventfd: ") + std::strerror(errno);
  }
  if (!setup_error_.empty()) {
    // No loop: every Start fails with this error (the blocking transport still works).
    stopping_ = true;
    return;
  }
  curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &CurlMultiLoop::OnSocket);
  curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &CurlMultiLoop::OnTimer);
  curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
  thread_ = std::thread([this] { Run(); });
}

CurlMultiLoop::~CurlMultiLoop() {
  {
    std::lock_guard<std::mutex> g(mu_);
    stopping_ = true;
  }
  Wake();
  if (thread_.joinable()) thread_.join();
  for (CURL* c : idle_easy_) curl_easy_cleanup(c);
  curl_multi_cleanup(multi_);
  if (wake_fd_ >= 0) close(wake_fd_);
  if (epoll_fd_ >= 0) close(epoll_fd_);
}

void CurlMultiLoop::Wake() {
  if (wake_fd_ < 0) return;
  uint64_t one = 1;
  // EAGAIN means the counter is already non-zero: the loop will wake anyway.
  (void)!write(wake_fd_, &one, sizeof one);
}

int CurlMultiLoop::OnSocket(CURL*, curl_socket_t fd, int what, void* self, void* socketp) {
  auto* loop = static_cast<CurlMultiLoop*>(self);
  if (what == CURL_POLL_REMOVE) {
    // curl may already have closed it: then the kernel dropped it from the set.
    epoll_ctl(loop->epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
    return 0;
  }
  epoll_event ev{};
  ev.events = ((what & CURL_POLL_IN) ? EPOLLIN : 0u) | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0u);
  ev.data.fd = fd;
  // curl keeps a pointer per socket until it removes it: ours marks "already in the set".
  if (socketp == nullptr) {
    if (epoll_ctl(loop->epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) return -1;
    curl_multi_assign(loop->multi_, fd, loop);
    return 0;
  }
  return epoll_ctl(loop->epoll_fd_, EPOLL_CTL_MOD, fd, &ev) == 0 ? 0 : -1;
}

int CurlMultiLoop::OnTimer(CURLM*, long timeout_ms, void* self) {
  auto* loop = static_cast<CurlMultiLoop*>(self);
  if (timeout_ms < 0) {
    loop->curl_deadline_.reset();
  } else {
    loop->curl_deadline_ = Clock::Real().Now() + std::chrono::milliseconds(timeout_ms);
  }
  return 0;
}

void CurlMultiLoop::Start(HttpRequest request, Clock::Duration delay, HttpCallback done) {
  // The same refusal as the blocking transport's: caller-chosen bytes never shape the message.
  if (Status s = CheckRequestSendable(request); !s.ok()) {
    done(s);
    return;
  }
  if (!setup_error_.empty()) {
    done(Status::Internal("HTTP event loop: " + setup_error_));
    return;
  }
  auto a = std::make_unique<Active>();
  a->request = std::move(request);
  a->done = std::move(done);
  Clock::TimePoint due = Clock::Real().Now() + std::max(Clock::Duration::zero(), delay);
  {
    std::lock_guard<std::mutex> g(mu_);
    if (!stopping_) {
      incoming_.emplace_back(due, std::move(a));
    }
  }
  if (a) {  // not taken: the loop is stopping
    a->done(Status::Aborted("HTTP transport closed"));
    return;
  }
  Wake();
}

void CurlMultiLoop::Run() {
  epoll_event events[kMaxEvents];
  while (true) {
    {
      std::lock_guard<std::mutex> g(mu_);
      if (stopping_) break;
    }
    // Adding a handle sets curl's timer to "now": the timeout action below starts it.
    Clock::Duration until_delayed = AddDue(kIdleWake);
    RunTimeoutIfDue();
    Reap();
    int n = epoll_wait(epoll_fd_, events, kMaxEvents, WaitMs(until_delayed));
    int running = 0;
    for (int i = 0; i < n; ++i) {
      if (events[i].data.fd == wake_fd_) {
        uint64_t count = 0;
        (void)!read(wake_fd_, &count, sizeof count);
        continue;
      }
      curl_multi_socket_action(multi_, events[i].data.fd, CurlEvents(events[i].events), &running);
    }
    RunTimeoutIfDue();
    Reap();
  }
  AbortAll();
}

int CurlMultiLoop::WaitMs(Clock::Duration until_delayed) {
  {
    std::lock_guard<std::mutex> g(mu_);
    // Submissions made by callbacks (retries) are picked up at once.
    if (!incoming_.empty()) return 0;
  }
  Clock::Duration wait = until_delayed;
  if (curl_deadline_) wait = std::min(wait, *curl_deadline_ - Clock::Real().Now());
  if (wait <= Clock::Duration::zero()) return 0;
  // Rounded up: waking a little early would spin until the deadline.
  return static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(wait).count());
}

void CurlMultiLoop::RunTimeoutIfDue() {
  if (!curl_deadline_ || *curl_deadline_ > Clock::Real().Now()) return;
  curl_deadline_.reset();  // the action may set a new one
  int running = 0;
  curl_multi_socket_action(multi_, CURL_SOCKET_TIMEOUT, 0, &running);
}

Clock::Duration CurlMultiLoop::AddDue(Clock::Duration idle) {
  {
    std::lock_guard<std::mutex> g(mu_);
    for (auto& [due, a] : incoming_) delayed_.emplace(due, std::move(a));
    incoming_.clear();
  }
  Clock::TimePoint now = Clock::Real().Now();
  while (!delayed_.empty() && delayed_.begin()->first <= now) {
    std::unique_ptr<Active> a = std::move(delayed_.begin()->second);
    delayed_.erase(delayed_.begin());
    AddHandle(std::move(a));
  }
  if (delayed_.empty()) return idle;
  return std::min<Clock::Duration>(idle, delayed_.begin()->first - now);
}

void CurlMultiLoop::AddHandle(std::unique_ptr<Active> a) {
  CURL* curl = nullptr;
  if (!idle_easy_.empty()) {
    curl = idle_easy_.back();
    idle_easy_.pop_back();
  } else {
    curl = curl_easy_init();
  }
  a->t.curl = curl;
  a->t.request = &a->request;
  a->t.sink = &a->no_sink;
  a->headers = ConfigureEasy(curl, share_, options_, proxies_, a->request, a->t, a->errbuf);
  if (a->request.cancel != nullptr && a->request.cancel->load()) {
    curl_slist_free_all(a->headers);
    idle_easy_.push_back(curl);
    a->done(Status::Cancelled("request cancelled before its answer began"));
    return;
  }
  CURLMcode rc = curl_multi_add_handle(multi_, curl);
  if (rc != CURLM_OK) {
    curl_slist_free_all(a->headers);
    curl_easy_cleanup(curl);
    a->done(Status::Internal(std::string("curl_multi_add_handle: ") + curl_multi_strerror(rc)));
    return;
  }
  running_.emplace(curl, std::move(a));
}

void CurlMultiLoop::Reap() {
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
    if (msg->msg != CURLMSG_DONE) continue;
    CURL* curl = msg->easy_handle;
    CURLcode rc = msg->data.result;
    auto it = running_.find(curl);
    if (it == running_.end()) continue;
    std::unique_ptr<Active> a = std::move(it->second);
    running_.erase(it);
    curl_multi_remove_handle(multi_, curl);
    curl_slist_free_all(a->headers);
    if (rc != CURLE_OK) {
      Status err = TransferFailure(rc, a->t, a->errbuf);
      // A failed handle may hold a broken connection: not reused.
      curl_easy_cleanup(curl);
      a->done(err);
      continue;
    }
    long code = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    a->t.response.status = static_cast<int>(code);
    if (static_cast<int>(idle_easy_.size()) < options_.max_idle_connections) {
      idle_easy_.push_back(curl);
    } else {
      curl_easy_cleanup(curl);
    }
    a->done(std::move(a->t.response));
  }
}

void CurlMultiLoop::AbortAll() {
  Status aborted = Status::Aborted("HTTP transport closed before the request finished");
  for (auto& [curl, a] : running_) {
    curl_multi_remove_handle(multi_, curl);
    curl_slist_free_all(a->headers);
    curl_easy_cleanup(curl);
    a->done(aborted);
  }
  running_.clear();
  {
    std::lock_guard<std::mutex> g(mu_);
    for (auto& [due, a] : incoming_) delayed_.emplace(due, std::move(a));
    incoming_.clear();
  }
  for (auto& [due, a] : delayed_) a->done(aborted);
  delayed_.clear();
}

}  // namespace thaw::s3::internal
