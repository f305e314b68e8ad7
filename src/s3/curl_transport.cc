// HttpTransport over libcurl. Keeps a pool of easy handles: a handle returned to the pool keeps
// its open connection, so consecutive requests to the same host reuse connections (S3 and the
// sim both speak keep-alive). DNS results are shared between handles.
//
// Network failures are reported as kUnavailable (kDeadlineExceeded for timeouts) with an
// HttpErrorDetail that says whether the request may have reached the server, which the retry
// policy needs to decide about non-idempotent calls.
#include <curl/curl.h>

#include <memory>
#include <mutex>
#include <vector>

#include "common/strings.h"
#include "s3/http.h"
#include "s3/internal/curl_easy.h"
#include "s3/internal/curl_multi.h"
#include "s3/internal/proxies.h"

namespace thaw::s3 {
namespace {

using internal::ConfigureEasy;
using internal::Transfer;

class CurlTransport : public HttpTransport {
 public:
  explicit CurlTransport(const TransportOptions& options)
      : options_(options), proxies_(internal::ProxiesFromEnv(ProcessEnv())) {
    internal::CurlGlobalInitOnce();
    share_ = curl_share_init();
    curl_share_setopt(share_, CURLSHOPT_LOCKFUNC, &CurlTransport::Lock);
    curl_share_setopt(share_, CURLSHOPT_UNLOCKFUNC, &CurlTransport::Unlock);
    curl_share_setopt(share_, CURLSHOPT_USERDATA, this);
    curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  }

  ~CurlTransport() override {
    loop_.reset();  // before the share handle its transfers use
    for (CURL* c : idle_) curl_easy_cleanup(c);
    curl_share_cleanup(share_);
  }

  Result<HttpResponse> Send(const HttpRequest& request, const BodySink& sink) override {
    // libcurl sends header lines as given: a CR LF in one would add fields of the caller's
    // choosing. Every user of the transport (S3, SQS, credential endpoints) gets this check.
    THAW_RETURN_IF_ERROR(CheckRequestSendable(request));
    CURL* curl = Acquire();
    Transfer t;
    t.curl = curl;
    t.request = &request;
    t.sink = &sink;
    char errbuf[CURL_ERROR_SIZE] = {0};
    curl_slist* headers = ConfigureEasy(curl, share_, options_, proxies_, request, t, errbuf);
    CURLcode rc = CURLE_ABORTED_BY_CALLBACK;
    if (request.cancel == nullptr || !request.cancel->load()) rc = curl_easy_perform(curl);
    curl_slist_free_all(headers);
    if (rc != CURLE_OK) {
      Status err = internal::TransferFailure(rc, t, errbuf);
      // A failed handle may hold a broken connection: do not return it to the pool.
      curl_easy_cleanup(curl);
      return err;
    }
    long code = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    t.response.status = static_cast<int>(code);
    Release(curl);
    return std::move(t.response);
  }

  void SendAsync(HttpRequest request, std::chrono::nanoseconds delay, HttpCallback done) override {
    internal::CurlMultiLoop* loop = nullptr;
    {
      std::lock_guard<std::mutex> g(pool_mu_);
      // Started at the first asynchronous request: most processes never make one.
      if (!loop_) loop_ = std::make_unique<internal::CurlMultiLoop>(options_, proxies_, share_);
      loop = loop_.get();
    }
    loop->Start(std::move(request), delay, std::move(done));
  }

 private:
  CURL* Acquire() {
    {
      std::lock_guard<std::mutex> g(pool_mu_);
      if (!idle_.empty()) {
        CURL* c = idle_.back();
        idle_.pop_back();
        return c;
      }
    }
    return curl_easy_init();
  }

  void Release(CURL* c) {
    std::lock_guard<std::mutex> g(pool_mu_);
    if (static_cast<int>(idle_.size()) < options_.max_idle_connections) {
      idle_.push_back(c);
      return;
    }
    curl_easy_cleanup(c);
  }

  static void Lock(CURL*, curl_lock_data, curl_lock_access, void* self) {
    static_cast<CurlTransport*>(self)->share_mu_.lock();
  }
  static void Unlock(CURL*, curl_lock_data, void* self) {
    static_cast<CurlTransport*>(self)->share_mu_.unlock();
  }

  TransportOptions options_;
  internal::ProxySettings proxies_;  // from the environment when the transport was made
  CURLSH* share_ = nullptr;
  std::mutex share_mu_;
  std::mutex pool_mu_;  // guards idle_
  std::vector<CURL*> idle_;
  std::unique_ptr<internal::CurlMultiLoop> loop_;  // guarded by pool_mu_; set once
};

}  // namespace

std::unique_ptr<HttpTransport> MakeCurlTransport(const TransportOptions& options) {
  return std::make_unique<CurlTransport>(options);
}

}  // namespace thaw::s3
