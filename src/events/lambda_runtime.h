// A client of the AWS Lambda Runtime API (version 2018-06-01), the HTTP interface through which a
// custom runtime (`provided.al2023`: our `bootstrap` is `thaw lambda`) receives invocations and
// returns their results. The API listens on AWS_LAMBDA_RUNTIME_API ("host:port") inside the
// execution environment:
//   GET  /2018-06-01/runtime/invocation/next              blocks until an invocation arrives;
//        headers Lambda-Runtime-Aws-Request-Id, -Deadline-Ms, -Invoked-Function-Arn, -Trace-Id
//   POST /2018-06-01/runtime/invocation/{id}/response     the function's result (JSON)
//   POST /2018-06-01/runtime/invocation/{id}/error        {"errorMessage","errorType","stackTrace"}
//        with header Lambda-Runtime-Function-Error-Type
//   POST /2018-06-01/runtime/init/error                   initialisation failed (same body)
// RunLambdaLoop drives next -> handler -> response/error until told to stop.
//
// Thread safety: a client is used by the loop's thread only (Lambda sends one invocation at a
// time to an execution environment).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "common/clock.h"
#include "common/status.h"
#include "s3/http.h"

namespace thaw::events {

struct Invocation {
  std::string request_id;
  // When Lambda kills the invocation (Lambda-Runtime-Deadline-Ms, Unix milliseconds).
  Clock::TimePoint deadline{};
  std::string function_arn;
  std::string trace_id;  // X-Ray (Lambda-Runtime-Trace-Id); logged at debug level
  std::string payload;   // the event JSON
};

// An error reported to Lambda. `type` appears as errorType in the body and in the
// Lambda-Runtime-Function-Error-Type header ("Thaw.InvalidEvent"...).
struct LambdaError {
  std::string type;
  std::string message;
};

class RuntimeApiClient {
 public:
  // `api_address` is AWS_LAMBDA_RUNTIME_API ("127.0.0.1:9001"); the transport must not time
  // out an idle long poll (see MakeRuntimeTransport).
  RuntimeApiClient(std::string api_address, std::unique_ptr<s3::HttpTransport> transport);

  // Waits for the next invocation. kUnavailable if the API cannot be reached,
  // kInvalidArgument if its answer lacks the request id.
  Result<Invocation> Next();
  Status Respond(const std::string& request_id, const std::string& body);
  Status ReportError(const std::string& request_id, const LambdaError& error);
  Status ReportInitError(const LambdaError& error);

 private:
  Status Post(const std::string& path, const std::string& body, const std::string& error_type);
  std::string base_url_;
  std::unique_ptr<s3::HttpTransport> transport_;
};

// libcurl transport settings for the Runtime API: no stall timeout worth speaking of, since
// `next` legitimately waits (frozen) for as long as no one invokes the function.
std::unique_ptr<s3::HttpTransport> MakeRuntimeTransport();

// The JSON body Lambda expects for an error.
std::string LambdaErrorJson(const LambdaError& error);

// What the loop does with one invocation: the response body, or an error to report. A
// non-OK status becomes a LambdaError through `error_type_for` (or "Thaw.<code name>").
using InvocationHandler = std::function<Result<std::string>(const Invocation&)>;

struct LambdaLoopOptions {
  // Stop after this many invocations (0: never). For tests and `thaw lambda --max-invocations`.
  int max_invocations = 0;
  // `next` failing this many times in a row ends the loop with that error (the API is local:
  // if it stays away, the environment is going down and Lambda starts a new one).
  int max_next_failures = 5;
  std::chrono::milliseconds next_retry_delay{200};
  // Maps a handler failure to the errorType reported ("Thaw.<code name>" when unset).
  std::function<std::string(const Status&)> error_type_for;
};

// Runs next -> handler -> response/error. Returns OK after max_invocations, or the error that
// ended it. A failure to post a result is logged and the loop goes on (Lambda then times the
// invocation out and retries it).
Status RunLambdaLoop(RuntimeApiClient& api, const InvocationHandler& handler,
                     const LambdaLoopOptions& options, Clock& clock);

}  // namespace thaw::events
