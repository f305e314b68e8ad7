// A small real HttpTransport for tests, on Boost.Beast: one connection per request, plain http
// only. It lets tests drive code that takes an HttpTransport (credential providers, ...) against
// an HttpTestServer over real sockets, so methods, headers and bodies are exercised as they go on
// the wire, without needing the libcurl transport.
//
// Header-only so that it compiles into the suite that uses it, next to the s3 library it needs.
// Network failures are kUnavailable with an s3::HttpErrorDetail, as the real transport reports
// them: connection failures say the request was not sent.
#pragma once

#include <chrono>
#include <memory>
#include <string>

// clang-format off
#include <utility>  // Boost 1.74 asio needs std::exchange declared first under C++20
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
// clang-format on

#include "s3/http.h"

namespace thaw::testing {

class BeastTransport : public s3::HttpTransport {
 public:
  explicit BeastTransport(std::chrono::milliseconds timeout = std::chrono::seconds(5))
      : timeout_(timeout) {}

  Result<s3::HttpResponse> Send(const s3::HttpRequest& request,
                                const s3::BodySink& sink = nullptr) override {
    namespace asio = boost::asio;
    namespace beast = boost::beast;
    namespace http = beast::http;
    using Kind = s3::HttpErrorDetail::Kind;

    std::string host, port, target;
    if (!SplitUrl(request.url, host, port, target)) {
      return Status::InvalidArgument("BeastTransport: unsupported URL " + request.url);
    }
    asio::io_context io;
    beast::tcp_stream stream(io);
    boost::system::error_code ec;
    auto endpoints = asio::ip::tcp::resolver(io).resolve(host, port, ec);
    if (ec) return NetError(Kind::kConnect, false, "resolve " + host + ": " + ec.message());
    stream.expires_after(timeout_);
    ec = Run(io, [&](auto done) { stream.async_connect(endpoints, done); });
    if (ec) return NetError(KindOf(ec, Kind::kConnect), false, "connect: " + ec.message());

    http::request<http::string_body> req;
    req.method_string(request.method);
    req.target(target);
    req.version(11);
    req.set(http::field::host, host + ":" + port);
    for (const auto& [name, value] : request.headers.entries()) req.insert(name, value);
    req.body() = BodyOf(request);
    req.prepare_payload();
    req.keep_alive(false);
    ec = Run(io, [&](auto done) { http::async_write(stream, req, done); });
    if (ec) return NetError(KindOf(ec, Kind::kReset), true, "write: " + ec.message());

    beast::flat_buffer buf;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64ull << 20);
    parser.skip(request.is_head());
    ec = Run(io, [&](auto done) { http::async_read(stream, buf, parser, done); });
    if (ec) return NetError(KindOf(ec, Kind::kReset), true, "read: " + ec.message());

    s3::HttpResponse resp;
    auto& msg = parser.get();
    resp.status = static_cast<int>(msg.result_int());
    for (const auto& field : msg) {
      resp.headers.Add(std::string(field.name_string()), std::string(field.value()));
    }
    resp.body = std::move(msg.body());
    if (sink && resp.status / 100 == 2) {
      Status s = sink(resp.body);
      if (!s.ok()) return s;
      resp.body.clear();
    }
    return resp;
  }

 private:
  // Runs one asynchronous operation to completion; the stream's expiry bounds it.
  template <typename Start>
  static boost::system::error_code Run(boost::asio::io_context& io, Start start) {
    boost::system::error_code result;
    start([&](boost::system::error_code ec, auto&&...) { result = ec; });
    io.restart();
    io.run();
    return result;
  }

  static s3::HttpErrorDetail::Kind KindOf(const boost::system::error_code& ec,
                                          s3::HttpErrorDetail::Kind otherwise) {
    return ec == boost::beast::error::timeout ? s3::HttpErrorDetail::Kind::kTimeout : otherwise;
  }

  static Status NetError(s3::HttpErrorDetail::Kind kind, bool sent, const std::string& msg) {
    return Status(StatusCode::kUnavailable, "BeastTransport: " + msg,
                  std::make_shared<s3::HttpErrorDetail>(kind, sent));
  }

  static std::string BodyOf(const s3::HttpRequest& request) {
    if (!request.body.has_reader()) return request.body.data;
    std::string out(request.body.size, '\0');
    size_t got = 0;
    while (got < out.size()) {
      int64_t n = request.body.reader(out.data() + got, out.size() - got);
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    out.resize(got);
    return out;
  }

  // "http://host[:port]/target" (host may be [v6]).
  static bool SplitUrl(const std::string& url, std::string& host, std::string& port,
                       std::string& target) {
    const std::string scheme = "http://";
    if (url.compare(0, scheme.size(), scheme) != 0) return false;
    size_t slash = url.find('/', scheme.size());
    std::string authority = url.substr(scheme.size(), slash - scheme.size());
    target = slash == std::string::npos ? "/" : url.substr(slash);
    size_t colon = authority.rfind(':');
    size_t bracket = authority.rfind(']');
    if (colon != std::string::npos && (bracket == std::string::npos || colon > bracket)) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
    } else {
      host = authority;
      port = "80";
    }
    if (host.size() > 1 && host.front() == '[') host = host.substr(1, host.size() - 2);
    return !host.empty();
  }

  std::chrono::milliseconds timeout_;
};

}  // namespace thaw::testing
