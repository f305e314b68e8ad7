// A fake AWS Lambda Runtime API for tests of `thaw lambda` and its client: hands out queued
// invocations on GET /2018-06-01/runtime/invocation/next (with the documented headers), accepts
// every POST with 202 and records it. With nothing queued, `next` answers 500 (the real API
// would block; tests bound the runtime with --max-invocations instead).
#pragma once

#include <chrono>
#include <deque>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "support/http_test_server.h"

namespace thaw::testing {

class FakeRuntimeApi {
 public:
  FakeRuntimeApi() : server_([this](const TestRequest& r) { return Handle(r); }) {}

  // Queues an invocation whose deadline is `timeout` from when it is handed out.
  void Queue(const std::string& request_id, const std::string& payload,
             std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back({request_id, payload, timeout});
  }
  // Answer `next` with 500 this many times before handing out invocations.
  void FailNext(int times) {
    std::lock_guard<std::mutex> lock(mu_);
    next_failures_ = times;
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(server_.port()); }

  // POSTs received, in order.
  std::vector<TestRequest> posts() const {
    std::vector<TestRequest> out;
    for (const auto& r : server_.requests()) {
      if (r.method == "POST") out.push_back(r);
    }
    return out;
  }
  // The POST to /runtime/invocation/<id>/<what> ("response" or "error"), if any.
  const TestRequest* Find(const std::vector<TestRequest>& posts, const std::string& id,
                          const std::string& what) const {
    std::string target = "/2018-06-01/runtime/invocation/" + id + "/" + what;
    for (const auto& r : posts) {
      if (r.target == target) return &r;
    }
    return nullptr;
  }

 private:
  struct Queued {
    std::string id;
    std::string payload;
    std::chrono::milliseconds timeout;
  };

  TestResponse Handle(const TestRequest& r) {
    if (r.method == "GET" && r.target == "/2018-06-01/runtime/invocation/next") {
      std::lock_guard<std::mutex> lock(mu_);
      if (next_failures_ > 0) {
        --next_failures_;
        return TestResponse::Status(500, "{}");
      }
      if (queue_.empty()) return TestResponse::Status(500, "no invocation queued");
      Queued q = queue_.front();
      queue_.pop_front();
      auto deadline = std::chrono::duration_cast<std::chrono::milliseconds>(
          (std::chrono::system_clock::now() + q.timeout).time_since_epoch());
      TestResponse resp = TestResponse::Ok(q.payload);
      resp.headers = {{"Lambda-Runtime-Aws-Request-Id", q.id},
                      {"Lambda-Runtime-Deadline-Ms", std::to_string(deadline.count())},
                      {"Lambda-Runtime-Invoked-Function-Arn",
                       "arn:aws:lambda:us-east-1:111122223333:function:thaw"},
                      {"Lambda-Runtime-Trace-Id", "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700"}};
      return resp;
    }
    if (r.method == "POST") return TestResponse::Status(202, R"({"status":"OK"})");
    return TestResponse::Status(404);
  }

  std::mutex mu_;
  std::deque<Queued> queue_;
  int next_failures_ = 0;
  HttpTestServer server_;  // last: destroyed first, so Handle never sees a dead queue
};

}  // namespace thaw::testing
