// HttpTestServer implementation on Boost.Beast.
#include "http_test_server.h"

#include <sys/socket.h>

// Boost 1.74's asio uses std::exchange without including <utility> under C++20.
// clang-format off
#include <utility>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
// clang-format on

namespace thaw::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct HttpTestServer::Impl {
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::thread accept_thread;
  std::atomic<bool> stopping{false};
  mutable std::mutex mu;  // guards handler, seen, sockets, workers
  Handler handler;
  std::vector<TestRequest> seen;
  std::vector<std::shared_ptr<tcp::socket>> sockets;
  std::vector<std::thread> workers;

  void Serve(std::shared_ptr<tcp::socket> sock) {
    beast::flat_buffer buf;
    boost::system::error_code ec;
    while (!stopping) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(1024ull * 1024 * 1024);
      http::read(*sock, buf, parser, ec);
      if (ec) break;
      auto& req = parser.get();
      TestRequest tr;
      tr.method = std::string(req.method_string());
      tr.target = std::string(req.target());
      for (auto& f : req) {
        std::string name(f.name_string());
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        tr.headers[name] = std::string(f.value());
      }
      tr.body = req.body();
      Handler h;
      {
        std::lock_guard<std::mutex> g(mu);
        seen.push_back(tr);
        h = handler;
      }
      TestResponse resp = h ? h(tr) : TestResponse::Status(500);
      if (resp.delay.count() > 0) std::this_thread::sleep_for(resp.delay);
      if (resp.action == TestResponse::Action::kClose) break;
      if (resp.action == TestResponse::Action::kTruncate) {
        std::string head = "HTTP/1.1 " + std::to_string(resp.status) + " OK\r\n";
        for (auto& [k, v] : resp.headers) head += k + ": " + v + "\r\n";
        head += "Content-Length: " + std::to_string(resp.body.size()) + "\r\n\r\n";
        head += resp.body.substr(0, resp.body.size() / 2);
        asio::write(*sock, asio::buffer(head), ec);
        break;
      }
      http::response<http::string_body> res{static_cast<http::status>(resp.status), 11};
      for (auto& [k, v] : resp.headers) res.set(k, v);
      res.body() = resp.body;
      res.prepare_payload();
      if (tr.method == "HEAD") {
        res.content_length(resp.body.size());
        res.body().clear();
        http::response_serializer<http::string_body> sr{res};
        sr.split(true);
        http::write_header(*sock, sr, ec);
      } else {
        res.keep_alive(req.keep_alive());
        http::write(*sock, res, ec);
      }
      if (ec || !req.keep_alive()) break;
    }
    sock->shutdown(tcp::socket::shutdown_both, ec);
    sock->close(ec);
  }
};

HttpTestServer::HttpTestServer(Handler handler) : impl_(std::make_unique<Impl>()) {
  impl_->handler = std::move(handler);
  tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen();
  port_ = impl_->acceptor.local_endpoint().port();
  impl_->accept_thread = std::thread([impl = impl_.get()] {
    while (!impl->stopping) {
      auto sock = std::make_shared<tcp::socket>(impl->io);
      boost::system::error_code ec;
      impl->acceptor.accept(*sock, ec);
      if (ec || impl->stopping) break;
      std::lock_guard<std::mutex> g(impl->mu);
      impl->sockets.push_back(sock);
      impl->workers.emplace_back([impl, sock] { impl->Serve(sock); });
    }
  });
}

HttpTestServer::~HttpTestServer() {
  impl_->stopping = true;
  boost::system::error_code ec;
  // Wake the accept() call with one connection, then close the acceptor once nobody uses it.
  {
    asio::io_context io;
    tcp::socket s(io);
    s.connect(
        tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port_)), ec);
  }
  if (impl_->accept_thread.joinable()) impl_->accept_thread.join();
  impl_->acceptor.close(ec);
  std::vector<std::thread> workers;
  {
    std::lock_guard<std::mutex> g(impl_->mu);
    // shutdown(2) on the raw descriptor is safe while a worker blocks in read(); the worker
    // then sees end-of-file and closes its own socket.
    for (auto& s : impl_->sockets) ::shutdown(s->native_handle(), SHUT_RDWR);
    workers.swap(impl_->workers);
  }
  for (auto& w : workers) w.join();
}

std::vector<TestRequest> HttpTestServer::requests() const {
  std::lock_guard<std::mutex> g(impl_->mu);
  return impl_->seen;
}

int HttpTestServer::connection_count() const {
  std::lock_guard<std::mutex> g(impl_->mu);
  return static_cast<int>(impl_->sockets.size());
}

int HttpTestServer::request_count() const {
  std::lock_guard<std::mutex> g(impl_->mu);
  return static_cast<int>(impl_->seen.size());
}

void HttpTestServer::set_handler(Handler handler) {
  std::lock_guard<std::mutex> g(impl_->mu);
  impl_->handler = std::move(handler);
}

}  // namespace thaw::testing
