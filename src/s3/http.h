// HTTP requests and responses as the S3 module sees them, and the transport that sends them.
//
// The transport knows nothing of S3: it sends one request and returns the response, or a
// network-level error (Status kUnavailable with an HttpErrorDetail saying whether the request
// may have reached the server). Signing, retries and error mapping live above it.
//
// Thread safety: a transport may be used from many threads at once; it keeps a pool of
// connections (libcurl easy handles sharing a connection cache) so connections are reused.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace thaw::s3 {

// Header names keep the case they were given; lookups are case-insensitive.
class HttpHeaders {
 public:
  void Set(std::string name, std::string value);  // replaces any header of that name
  void Add(std::string name, std::string value);  // keeps existing ones
  void Remove(std::string_view name);
  const std::string* Find(std::string_view name) const;
  std::string Get(std::string_view name) const;  // "" when absent
  bool Has(std::string_view name) const { return Find(name) != nullptr; }
  const std::vector<std::pair<std::string, std::string>>& entries() const { return entries_; }

 private:
  std::vector<std::pair<std::string, std::string>> entries_;
};

// A request body: either bytes held by the request or a reader that fills buffers on demand
// (so large uploads stream from disk). `size` must be exact for readers.
struct HttpBody {
  std::string data;
  // Returns the number of bytes written into buf (0 at end), or a negative value on error.
  std::function<int64_t(char* buf, size_t len)> reader;
  // Rewinds a reader for a retry; a reader without rewind makes the request not retryable.
  std::function<bool()> rewind;
  uint64_t size = 0;

  static HttpBody FromString(std::string s) {
    HttpBody b;
    b.size = s.size();
    b.data = std::move(s);
    return b;
  }
  bool has_reader() const { return static_cast<bool>(reader); }
};

struct HttpRequest {
  std::string method = "GET";
  // Full URL: scheme://host[:port]/already-encoded-path[?already-encoded-query]
  std::string url;
  HttpHeaders headers;
  HttpBody body;
  // Called with a 2xx response's headers before its first body byte goes to a sink, so that a
  // caller can learn e.g. the ETag of a download that may break off later.
  std::function<void(const HttpHeaders&)> on_headers;
  // When set, the transport gives up (kCancelled) once *cancel turns true while no byte of the
  // answer has arrived yet: a long poll (SQS ReceiveMessage waits up to 20 s) ends at once on
  // shutdown. An answer under way is read to its end, so whatever the server already handed out
  // (messages taken off a queue) reaches the caller. The flag is looked at about once a second
  // while the connection is idle, more often while data flows.
  const std::atomic<bool>* cancel = nullptr;
  // HEAD responses have no body even when Content-Length says otherwise.
  bool is_head() const { return method == "HEAD"; }
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;
  std::string body;  // empty when the body went to a sink
};

// Refuses a request that would let caller-chosen bytes change the HTTP message itself: a header
// name that is not an RFC 9110 token (a ':' or a space would start another field), a header value
// with CR, LF or NUL (header injection, request splitting), or a URL with a control character,
// space or non-ASCII byte (paths and queries must already be percent-encoded). Keys and metadata
// reach headers and URLs from whoever writes to a bucket, so every transport checks this before
// sending. Returns InvalidArgument naming the header, never quoting its value (values may be
// tokens or signatures).
Status CheckRequestSendable(const HttpRequest& request);

// Receives response body bytes as they arrive. Return a non-OK status to abort the transfer.
// Only called for 2xx responses; error bodies are always collected into HttpResponse::body.
using BodySink = std::function<Status(std::string_view chunk)>;

// Attached to network errors so retries can tell "never reached the server" from "may have".
class HttpErrorDetail : public StatusDetail {
 public:
  enum class Kind { kConnect, kTimeout, kReset, kTls, kOther };
  HttpErrorDetail(Kind kind, bool request_sent) : kind(kind), request_sent(request_sent) {}
  Kind kind;
  bool request_sent;  // false: the request certainly did not reach the server
};

struct TransportOptions {
  std::chrono::milliseconds connect_timeout{5000};
  // A transfer slower than 1 byte/s for this long is aborted (a stalled connection).
  std::chrono::milliseconds stall_timeout{30000};
  std::string ca_bundle;   // AWS_CA_BUNDLE; empty: system default
  bool verify_tls = true;  // verification is on unless the user turns it off explicitly
  int max_idle_connections = 64;
};

// Receives the outcome of SendAsync.
using HttpCallback = std::function<void(Result<HttpResponse>)>;

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // Sends the request. A response with any status is a success of the transport. With a sink,
  // a 2xx body streams to the sink instead of HttpResponse::body.
  virtual Result<HttpResponse> Send(const HttpRequest& request, const BodySink& sink = nullptr) = 0;
  // Sends the request, no earlier than `delay` from now, without blocking the caller: `done`
  // runs exactly once with what Send would have returned (the body collected in the response).
  // The curl transport runs every such request on one event-loop thread and calls `done` there:
  // `done` must be quick and must not block, and may call SendAsync again. This default sleeps
  // out the delay and sends on the caller's thread (a transport without an event loop).
  virtual void SendAsync(HttpRequest request, std::chrono::nanoseconds delay, HttpCallback done);
};

std::unique_ptr<HttpTransport> MakeCurlTransport(const TransportOptions& options = {});

}  // namespace thaw::s3
