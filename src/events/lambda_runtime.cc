// Runtime API client and the invocation loop (see lambda_runtime.h).
#include "events/lambda_runtime.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "common/strings.h"

namespace thaw::events {
namespace {

constexpr const char* kApiVersion = "/2018-06-01";

Status HttpFailure(const std::string& what, const s3::HttpResponse& r) {
  std::string body = r.body.substr(0, 300);
  return Status::Unavailable(what + ": HTTP " + std::to_string(r.status) +
                             (body.empty() ? "" : ": " + body));
}

std::string DefaultErrorType(const Status& s) {
  return "Thaw." + std::string(StatusCodeName(s.code()));  // "Thaw.INVALID_ARGUMENT"
}

}  // namespace

RuntimeApiClient::RuntimeApiClient(std::string api_address,
                                   std::unique_ptr<s3::HttpTransport> transport)
    : base_url_("http://" + api_address + kApiVersion), transport_(std::move(transport)) {}

Result<Invocation> RuntimeApiClient::Next() {
  s3::HttpRequest req;
  req.method = "GET";
  req.url = base_url_ + "/runtime/invocation/next";
  THAW_ASSIGN_OR_RETURN(auto resp, transport_->Send(req));
  if (resp.status != 200) return HttpFailure("runtime API next", resp);
  Invocation inv;
  inv.request_id = resp.headers.Get("Lambda-Runtime-Aws-Request-Id");
  if (inv.request_id.empty()) {
    return Status::InvalidArgument("runtime API next: no Lambda-Runtime-Aws-Request-Id header");
  }
  auto deadline_ms = ParseInt64(resp.headers.Get("Lambda-Runtime-Deadline-Ms"));
  if (deadline_ms && *deadline_ms > 0) {
    inv.deadline = Clock::TimePoint(std::chrono::milliseconds(*deadline_ms));
  }
  inv.function_arn = resp.headers.Get("Lambda-Runtime-Invoked-Function-Arn");
  inv.trace_id = resp.headers.Get("Lambda-Runtime-Trace-Id");
  inv.payload = std::move(resp.body);
  return inv;
}

Status RuntimeApiClient::Post(const std::string& path, const std::string& body,
                              const std::string& error_type) {
  s3::HttpRequest req;
  req.method = "POST";
  req.url = base_url_ + path;
  req.headers.Set("Content-Type", "application/json");
  if (!error_type.empty()) req.headers.Set("Lambda-Runtime-Function-Error-Type", error_type);
  req.body = s3::HttpBody::FromString(body);
  THAW_ASSIGN_OR_RETURN(auto resp, transport_->Send(req));
  // 202 Accepted is the documented answer; 413 (response too large) and 400 are errors.
  if (resp.status / 100 != 2) return HttpFailure("runtime API POST " + path, resp);
  return Status::Ok();
}

Status RuntimeApiClient::Respond(const std::string& request_id, const std::string& body) {
  return Post("/runtime/invocation/" + request_id + "/response", body, "");
}

Status RuntimeApiClient::ReportError(const std::string& request_id, const LambdaError& error) {
  return Post("/runtime/invocation/" + request_id + "/error", LambdaErrorJson(error), error.type);
}

Status RuntimeApiClient::ReportInitError(const LambdaError& error) {
  return Post("/runtime/init/error", LambdaErrorJson(error), error.type);
}

std::unique_ptr<s3::HttpTransport> MakeRuntimeTransport() {
  s3::TransportOptions options;
  options.connect_timeout = std::chrono::milliseconds(2000);
  // AWS: "Do not set a timeout on the GET call": a frozen environment may wait for days.
  options.stall_timeout = std::chrono::hours(24 * 365);
  options.max_idle_connections = 2;
  return s3::MakeCurlTransport(options);
}

std::string LambdaErrorJson(const LambdaError& error) {
  nlohmann::json j = {{"errorMessage", error.message},
                      {"errorType", error.type},
                      {"stackTrace", nlohmann::json::array()}};
  // Error messages quote event text, which may hold any bytes: replace invalid UTF-8.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Status RunLambdaLoop(RuntimeApiClient& api, const InvocationHandler& handler,
                     const LambdaLoopOptions& options, Clock& clock) {
  int handled = 0;
  int next_failures = 0;
  while (options.max_invocations == 0 || handled < options.max_invocations) {
    auto inv = api.Next();
    if (!inv.ok()) {
      if (++next_failures >= options.max_next_failures) return inv.status();
      spdlog::warn("lambda: {}; retrying", inv.status().ToString());
      clock.SleepFor(options.next_retry_delay);
      continue;
    }
    next_failures = 0;
    // Custom runtimes usually export the trace id as _X_AMZN_TRACE_ID for the X-Ray SDK. thaw
    // has no X-Ray SDK, and setenv() while engine threads may read the environment is a data
    // race in glibc, so the id is only logged.
    spdlog::debug("lambda: invocation {} (trace {})", inv->request_id, inv->trace_id);
    auto result = handler(*inv);
    Status posted;
    if (result.ok()) {
      posted = api.Respond(inv->request_id, *result);
    } else {
      LambdaError err{options.error_type_for ? options.error_type_for(result.status())
                                             : DefaultErrorType(result.status()),
                      result.status().message()};
      spdlog::error("lambda: invocation {} failed: {}: {}", inv->request_id, err.type, err.message);
      posted = api.ReportError(inv->request_id, err);
    }
    if (!posted.ok()) {
      spdlog::error("lambda: invocation {}: {}", inv->request_id, posted.ToString());
    }
    ++handled;
  }
  return Status::Ok();
}

}  // namespace thaw::events
