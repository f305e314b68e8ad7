// A small HTTP/1.1 server for tests, on 127.0.0.1 and a free port, that answers with whatever
// the test's handler says, including misbehaviour: closing the connection without an answer,
// sending a truncated body, or answering late. Used to fake IMDS and container credential
// endpoints and to test the client against broken servers.
//
// Built on Boost.Beast (synchronous, one thread per connection); fine for tests only.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace thaw::testing {

struct TestRequest {
  std::string method;
  std::string target;                          // path and query as sent
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;

  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? "" : it->second;
  }
};

struct TestResponse {
  enum class Action {
    kRespond,   // send status, headers, body
    kClose,     // close the connection without sending anything
    kTruncate,  // send headers announcing the full body, half the body, then close
  };
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  Action action = Action::kRespond;
  std::chrono::milliseconds delay{0};  // wait this long before answering

  static TestResponse Ok(std::string body) {
    TestResponse r;
    r.body = std::move(body);
    return r;
  }
  static TestResponse Status(int status, std::string body = "") {
    TestResponse r;
    r.status = status;
    r.body = std::move(body);
    return r;
  }
};

class HttpTestServer {
 public:
  using Handler = std::function<TestResponse(const TestRequest&)>;

  explicit HttpTestServer(Handler handler);
  ~HttpTestServer();
  HttpTestServer(const HttpTestServer&) = delete;
  HttpTestServer& operator=(const HttpTestServer&) = delete;

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // Requests seen so far (copies), in arrival order.
  std::vector<TestRequest> requests() const;
  int request_count() const;
  int connection_count() const;  // TCP connections accepted so far
  void set_handler(Handler handler);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace thaw::testing
