// CurlMultiLoop (see internal/curl_multi.h).
#include "s3/internal/curl_multi.h"

#include <algorithm>

#include "s3/internal/curl_easy.h"

namespace thaw::s3::internal {
namespace {

// The loop wakes at least this often with nothing to do (curl's own timeouts are shorter when
// transfers run; Start wakes it at once).
constexpr auto kIdleWake = std::chrono::seconds(1);

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
  thread_ = std::thread([this] { Run(); });
}

CurlMultiLoop::~CurlMultiLoop() {
  {
    std::lock_guard<std::mutex> g(mu_);
    stopping_ = true;
  }
  curl_multi_wakeup(multi_);
  thread_.join();
  for (CURL* c : idle_easy_) curl_easy_cleanup(c);
  curl_multi_cleanup(multi_);
}

void CurlMultiLoop::Start(HttpRequest request, Clock::Duration delay, HttpCallback done) {
  // The same refusal as the blocking transport's: caller-chosen bytes never shape the message.
  if (Status s = CheckRequestSendable(request); !s.ok()) {
    done(s);
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
  curl_multi_wakeup(multi_);
}

void CurlMultiLoop::Run() {
  while (true) {
    {
      std::lock_guard<std::mutex> g(mu_);
      if (stopping_) break;
    }
    Clock::Duration wait = AddDue(kIdleWake);
    int running = 0;
    curl_multi_perform(multi_, &running);
    Reap();
    // New submissions made by callbacks (retries) are picked up at once.
    {
      std::lock_guard<std::mutex> g(mu_);
      if (!incoming_.empty()) wait = Clock::Duration::zero();
    }
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(wait).count();
    curl_multi_poll(multi_, nullptr, 0, static_cast<int>(std::max<int64_t>(0, ms)), nullptr);
  }
  AbortAll();
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
