// Retry decisions and backoff schedule, on an injected clock and pinned jitter.
#include "s3/retry.h"

#include <gtest/gtest.h>

#include "s3/error.h"

namespace thaw::s3 {
namespace {

Status Service(int http, const std::string& code) {
  HttpResponse r;
  r.status = http;
  r.body = "<Error><Code>" + code + "</Code><Message>m</Message></Error>";
  return ErrorFromResponse(r, "Op", "s3://b/k");
}

Status Network(HttpErrorDetail::Kind kind, bool sent) {
  Status transport(StatusCode::kUnavailable, "reset",
                   std::make_shared<HttpErrorDetail>(kind, sent));
  return NetworkError(transport, "Op", "s3://b/k");
}

TEST(IsRetryable, ServerErrorsAndThrottlingAreRetried) {
  EXPECT_TRUE(IsRetryable(Service(500, "InternalError"), false));
  EXPECT_TRUE(IsRetryable(Service(503, "SlowDown"), false));
  EXPECT_TRUE(IsRetryable(Service(503, "ServiceUnavailable"), true));
  EXPECT_FALSE(IsRetryable(Service(403, "AccessDenied"), true));
  EXPECT_FALSE(IsRetryable(Service(404, "NoSuchKey"), true));
  EXPECT_FALSE(IsRetryable(Service(403, "InvalidObjectState"), true));
  EXPECT_FALSE(IsRetryable(Status::Ok(), true));
  EXPECT_FALSE(IsRetryable(Status::Internal("not from S3"), true));
}

TEST(IsRetryable, NetworkErrorsDependOnWhetherTheRequestWasSent) {
  using Kind = HttpErrorDetail::Kind;
  EXPECT_TRUE(IsRetryable(Network(Kind::kConnect, false), false));
  EXPECT_TRUE(IsRetryable(Network(Kind::kReset, true), true));
  EXPECT_FALSE(IsRetryable(Network(Kind::kReset, true), false));
  EXPECT_FALSE(IsRetryable(Network(Kind::kTimeout, true), false));
  EXPECT_TRUE(IsRetryable(Network(Kind::kTimeout, true), true));
}

TEST(BackoffDelay, FullJitterUnderAnExponentialCap) {
  RetryPolicy p;
  p.base_delay = std::chrono::milliseconds(100);
  p.max_delay = std::chrono::milliseconds(1000);
  auto one = [] { return 0.999999; };
  auto zero = [] { return 0.0; };
  auto ms = [](Clock::Duration d) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  };
  EXPECT_EQ(ms(BackoffDelay(p, 1, one)), 99);
  EXPECT_EQ(ms(BackoffDelay(p, 2, one)), 199);
  EXPECT_EQ(ms(BackoffDelay(p, 3, one)), 399);
  EXPECT_EQ(ms(BackoffDelay(p, 5, one)), 999);   // capped
  EXPECT_EQ(ms(BackoffDelay(p, 40, one)), 999);  // no overflow far out
  EXPECT_EQ(ms(BackoffDelay(p, 3, zero)), 0);
}

TEST(WithRetries, StopsAtMaxAttemptsAndSleepsOnTheClock) {
  FakeClock clock(FakeClock::TimePoint(std::chrono::seconds(1000)), /*auto_advance=*/true);
  RetryPolicy p;
  p.max_attempts = 4;
  int calls = 0;
  auto r = WithRetries<int>(
      p, true, clock, [] { return 1.0; },
      [&]() -> Result<int> {
        ++calls;
        return Service(503, "SlowDown");
      });
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(calls, 4);
  // 100 + 200 + 400 ms of backoff with the jitter pinned at its maximum.
  EXPECT_EQ(clock.total_slept(), std::chrono::milliseconds(700));
}

TEST(WithRetries, ReturnsFirstSuccessAndDoesNotRetryClientErrors) {
  FakeClock clock(FakeClock::TimePoint(std::chrono::seconds(1000)), true);
  RetryPolicy p;
  int calls = 0;
  auto ok = WithRetries<int>(p, true, clock, nullptr, [&]() -> Result<int> {
    return ++calls < 2 ? Result<int>(Service(500, "InternalError")) : Result<int>(7);
  });
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 7);
  EXPECT_EQ(calls, 2);
  calls = 0;
  auto bad = WithRetries<int>(p, true, clock, nullptr, [&]() -> Result<int> {
    ++calls;
    return Service(400, "InvalidArgument");
  });
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace thaw::s3
