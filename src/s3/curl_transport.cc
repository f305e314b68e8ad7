// HttpTransport over libcurl. Keeps a pool of easy handles: a handle returned to the pool keeps
// its open connection, so consecutive requests to the same host reuse connections (S3 and the
// sim both speak keep-alive). DNS results are shared between handles.
//
// Network failures are reported as kUnavailable (kDeadlineExceeded for timeouts) with an
// HttpErrorDetail that says whether the request may have reached the server, which the retry
// policy needs to decide about non-idempotent calls.
#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <vector>

#include "common/strings.h"
#include "s3/http.h"
#include "s3/internal/proxies.h"

namespace thaw::s3 {
namespace {

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

constexpr long kGetBufferBytes = 256 * 1024;

// State of one transfer, reached from curl's callbacks.
struct Transfer {
  CURL* curl = nullptr;
  const HttpRequest* request = nullptr;
  const BodySink* sink = nullptr;
  HttpResponse response;
  uint64_t upload_offset = 0;
  Status sink_status;
  bool status_known = false;
  bool headers_reported = false;
  bool answer_started = false;  // a byte of the response (status line) has arrived
};

size_t OnHeader(char* data, size_t size, size_t n, void* userdata) {
  auto* t = static_cast<Transfer*>(userdata);
  std::string_view line(data, size * n);
  t->answer_started = true;
  if (StartsWith(line, "HTTP/")) {
    // A new status line (e.g. after "100 Continue") starts a fresh header block.
    t->response.headers = HttpHeaders();
    t->status_known = false;
    return size * n;
  }
  size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    t->response.headers.Add(std::string(Trim(line.substr(0, colon))),
                            std::string(Trim(line.substr(colon + 1))));
  }
  return size * n;
}

size_t OnBody(char* data, size_t size, size_t n, void* userdata) {
  auto* t = static_cast<Transfer*>(userdata);
  size_t len = size * n;
  if (!t->status_known) {
    long code = 0;
    curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &code);
    t->response.status = static_cast<int>(code);
    t->status_known = true;
  }
  bool to_sink = t->sink && *t->sink && t->response.status >= 200 && t->response.status < 300;
  if (to_sink) {
    if (!t->headers_reported) {
      t->headers_reported = true;
      if (t->request->on_headers) t->request->on_headers(t->response.headers);
    }
    Status s = (*t->sink)(std::string_view(data, len));
    if (!s.ok()) {
      t->sink_status = s;
      return 0;  // makes curl abort with CURLE_WRITE_ERROR
    }
  } else {
    t->response.body.append(data, len);
  }
  return len;
}

size_t OnUpload(char* buf, size_t size, size_t n, void* userdata) {
  auto* t = static_cast<Transfer*>(userdata);
  size_t want = size * n;
  const HttpBody& body = t->request->body;
  if (body.has_reader()) {
    int64_t got = body.reader(buf, want);
    if (got < 0) return CURL_READFUNC_ABORT;
    t->upload_offset += static_cast<uint64_t>(got);
    return static_cast<size_t>(got);
  }
  size_t left = body.data.size() - t->upload_offset;
  size_t take = std::min(left, want);
  std::memcpy(buf, body.data.data() + t->upload_offset, take);
  t->upload_offset += take;
  return take;
}

// Progress callback: a non-zero return aborts the transfer (CURLE_ABORTED_BY_CALLBACK).
int OnProgress(void* userdata, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(userdata);
  return (!t->answer_started && t->request->cancel->load()) ? 1 : 0;
}

Status TransportError(CURLcode code, CURL* curl, const char* errbuf) {
  using Kind = HttpErrorDetail::Kind;
  long sent = 0;  // bytes of request headers written so far
  curl_easy_getinfo(curl, CURLINFO_REQUEST_SIZE, &sent);
  bool request_sent = sent > 0;
  Kind kind = Kind::kOther;
  StatusCode status_code = StatusCode::kUnavailable;
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
      kind = Kind::kConnect;
      request_sent = false;
      break;
    case CURLE_OPERATION_TIMEDOUT:
      kind = Kind::kTimeout;
      status_code = StatusCode::kDeadlineExceeded;
      break;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      kind = Kind::kReset;
      break;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
      kind = Kind::kTls;
      request_sent = false;
      status_code = StatusCode::kUnavailable;
      break;
    default:
      break;
  }
  std::string msg = curl_easy_strerror(code);
  if (errbuf[0] != '\0') msg += std::string(" (") + errbuf + ")";
  return Status(status_code, msg, std::make_shared<HttpErrorDetail>(kind, request_sent));
}

class CurlTransport : public HttpTransport {
 public:
  explicit CurlTransport(const TransportOptions& options)
      : options_(options), proxies_(internal::ProxiesFromEnv(ProcessEnv())) {
    GlobalInitOnce();
    share_ = curl_share_init();
    curl_share_setopt(share_, CURLSHOPT_LOCKFUNC, &CurlTransport::Lock);
    curl_share_setopt(share_, CURLSHOPT_UNLOCKFUNC, &CurlTransport::Unlock);
    curl_share_setopt(share_, CURLSHOPT_USERDATA, this);
    curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  }

  ~CurlTransport() override {
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
    curl_slist* headers = Configure(curl, request, t, errbuf);
    CURLcode rc = CURLE_ABORTED_BY_CALLBACK;
    if (request.cancel == nullptr || !request.cancel->load()) rc = curl_easy_perform(curl);
    curl_slist_free_all(headers);
    if (rc != CURLE_OK) {
      Status err = (rc == CURLE_WRITE_ERROR && !t.sink_status.ok()) ? t.sink_status
                   : rc == CURLE_ABORTED_BY_CALLBACK
                       ? Status::Cancelled("request cancelled before its answer began")
                       : TransportError(rc, curl, errbuf);
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

 private:
  curl_slist* Configure(CURL* curl, const HttpRequest& request, Transfer& t, char* errbuf) {
    curl_easy_reset(curl);
    curl_easy_setopt(curl, CURLOPT_SHARE, share_);
    curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    // S3 keys may be "." or contain "/../": send the path exactly as built.
    curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(options_.connect_timeout.count()));
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME,
                     std::max(1L, static_cast<long>(options_.stall_timeout.count() / 1000)));
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, options_.verify_tls ? 1L : 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, options_.verify_tls ? 2L : 0L);
    if (!options_.ca_bundle.empty())
      curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_bundle.c_str());
    // Set explicitly ("" : none) so that curl's own reading of the environment, which ignores
    // HTTP_PROXY, does not apply: botocore's precedence does (s3/internal/proxies.h).
    const std::string& proxy =
        StartsWith(request.url, "https://") ? proxies_.https_proxy : proxies_.http_proxy;
    curl_easy_setopt(curl, CURLOPT_PROXY, proxy.c_str());
    curl_easy_setopt(curl, CURLOPT_NOPROXY, proxies_.no_proxy.c_str());
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &OnHeader);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &OnBody);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
    if (request.cancel != nullptr) {
      curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, &OnProgress);
      curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &t);
      curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    }
    // Content-Encoding is left alone: S3 objects stored gzip must come back byte for byte.

    const std::string& m = request.method;
    bool has_body = request.body.size > 0 || request.body.has_reader();
    if (m == "HEAD") {
      curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    } else if (m == "GET") {
      curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
      // Bodies of GETs are megabytes: a larger receive buffer (the default is 16 KiB) takes
      // them in a tenth of the recv and poll calls.
      curl_easy_setopt(curl, CURLOPT_BUFFERSIZE, kGetBufferBytes);
    } else if (has_body || m == "PUT" || m == "POST") {
      curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, m.c_str());
      curl_easy_setopt(curl, CURLOPT_READFUNCTION, &OnUpload);
      curl_easy_setopt(curl, CURLOPT_READDATA, &t);
      curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.body.size));
    } else {
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, m.c_str());
    }

    curl_slist* list = nullptr;
    for (const auto& [name, value] : request.headers.entries()) {
      std::string line = value.empty() ? name + ";" : name + ": " + value;
      list = curl_slist_append(list, line.c_str());
    }
    // No "Expect: 100-continue" round trip, and no default Accept or chunked encoding.
    list = curl_slist_append(list, "Expect:");
    list = curl_slist_append(list, "Accept:");
    if (!request.headers.Has("Content-Type")) list = curl_slist_append(list, "Content-Type:");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    return list;
  }

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
};

}  // namespace

std::unique_ptr<HttpTransport> MakeCurlTransport(const TransportOptions& options) {
  return std::make_unique<CurlTransport>(options);
}

}  // namespace thaw::s3
