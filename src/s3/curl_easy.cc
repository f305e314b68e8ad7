// The libcurl easy-transfer pieces shared by the curl transports (see internal/curl_easy.h).
#include "s3/internal/curl_easy.h"

#include <algorithm>
#include <cstring>
#include <mutex>

#include "common/strings.h"

namespace thaw::s3::internal {
namespace {

constexpr long kGetBufferBytes = 256 * 1024;
// Bodies up to this size are handed to curl whole (libcurl puts them in the headers' send when
// they are under its own 64 KiB limit); larger ones go through the read callback.
constexpr size_t kOneSendBodyBytes = 64 * 1024;

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

Status NetworkFailure(CURLcode code, CURL* curl, const char* errbuf) {
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

}  // namespace

void CurlGlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

curl_slist* ConfigureEasy(CURL* curl, CURLSH* share, const TransportOptions& options,
                          const ProxySettings& proxies, const HttpRequest& request, Transfer& t,
                          char* errbuf) {
  curl_easy_reset(curl);
  curl_easy_setopt(curl, CURLOPT_SHARE, share);
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  // S3 keys may be "." or contain "/../": send the path exactly as built.
  curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L);
  curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME,
                   std::max(1L, static_cast<long>(options.stall_timeout.count() / 1000)));
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, options.verify_tls ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, options.verify_tls ? 2L : 0L);
  if (!options.ca_bundle.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options.ca_bundle.c_str());
  // Set explicitly ("" : none) so that curl's own reading of the environment, which ignores
  // HTTP_PROXY, does not apply: botocore's precedence does (s3/internal/proxies.h).
  const std::string& proxy =
      StartsWith(request.url, "https://") ? proxies.https_proxy : proxies.http_proxy;
  curl_easy_setopt(curl, CURLOPT_PROXY, proxy.c_str());
  curl_easy_setopt(curl, CURLOPT_NOPROXY, proxies.no_proxy.c_str());
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
  } else if (!request.body.has_reader() && request.body.data.size() <= kOneSendBodyBytes &&
             (has_body || m == "PUT" || m == "POST")) {
    // A small body in memory (RestoreObject's XML, SQS calls, empty PUTs) leaves in the same
    // send() as the headers. Through the read callback it would be a second write and a second
    // TCP segment: the server wakes twice for one request (measured on moto_server: about a
    // tenth more server CPU per RestoreObject).
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, m.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.data.size()));
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data.data());
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

Status TransferFailure(CURLcode rc, const Transfer& t, const char* errbuf) {
  if (rc == CURLE_WRITE_ERROR && !t.sink_status.ok()) return t.sink_status;
  if (rc == CURLE_ABORTED_BY_CALLBACK) {
    return Status::Cancelled("request cancelled before its answer began");
  }
  return NetworkFailure(rc, t.curl, errbuf);
}

}  // namespace thaw::s3::internal
