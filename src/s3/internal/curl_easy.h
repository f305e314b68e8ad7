// Internal to the s3 module: one libcurl easy transfer as both curl transports use it (the
// pooled blocking one and the multi-handle event loop, curl_transport.cc and curl_multi.cc):
// the per-transfer state curl's callbacks fill in, the options every request gets, and the
// mapping of a failed transfer to a Status.
#pragma once

#include <curl/curl.h>

#include "common/status.h"
#include "s3/http.h"
#include "s3/internal/proxies.h"

namespace thaw::s3::internal {

void CurlGlobalInitOnce();

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

// Sets `curl` (reset first) up for `request`, with callbacks filling `t` and curl's error text
// going to `errbuf` (CURL_ERROR_SIZE bytes). Returns the header list, to be freed with
// curl_slist_free_all once the transfer is over.
curl_slist* ConfigureEasy(CURL* curl, CURLSH* share, const TransportOptions& options,
                          const ProxySettings& proxies, const HttpRequest& request, Transfer& t,
                          char* errbuf);

// The Status of a transfer that ended with `rc` != CURLE_OK: the sink's own error, kCancelled
// for a cancelled request, otherwise kUnavailable (kDeadlineExceeded for timeouts) with an
// HttpErrorDetail saying whether the request may have reached the server.
Status TransferFailure(CURLcode rc, const Transfer& t, const char* errbuf);

}  // namespace thaw::s3::internal
