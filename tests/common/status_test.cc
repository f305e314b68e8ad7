// Tests for common/status: Status values and details, Result<T>, and the propagation macros.
#include "common/status.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace thaw {
namespace {

class TestDetail : public StatusDetail {
 public:
  explicit TestDetail(int v) : value(v) {}
  int value;
};

class OtherDetail : public StatusDetail {};

TEST(Status, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kOk);
  EXPECT_EQ(s.message(), "");
  EXPECT_EQ(s.detail(), nullptr);
  EXPECT_EQ(s.ToString(), "OK");
  EXPECT_TRUE(Status::Ok().ok());
}

TEST(Status, NamedConstructorsSetTheirCode) {
  struct Case {
    Status status;
    StatusCode code;
    std::string_view name;
  };
  const std::vector<Case> cases = {
      {Status::Cancelled("m"), StatusCode::kCancelled, "CANCELLED"},
      {Status::InvalidArgument("m"), StatusCode::kInvalidArgument, "INVALID_ARGUMENT"},
      {Status::DeadlineExceeded("m"), StatusCode::kDeadlineExceeded, "DEADLINE_EXCEEDED"},
      {Status::NotFound("m"), StatusCode::kNotFound, "NOT_FOUND"},
      {Status::AlreadyExists("m"), StatusCode::kAlreadyExists, "ALREADY_EXISTS"},
      {Status::PermissionDenied("m"), StatusCode::kPermissionDenied, "PERMISSION_DENIED"},
      {Status::ResourceExhausted("m"), StatusCode::kResourceExhausted, "RESOURCE_EXHAUSTED"},
      {Status::FailedPrecondition("m"), StatusCode::kFailedPrecondition, "FAILED_PRECONDITION"},
      {Status::Aborted("m"), StatusCode::kAborted, "ABORTED"},
      {Status::OutOfRange("m"), StatusCode::kOutOfRange, "OUT_OF_RANGE"},
      {Status::Unimplemented("m"), StatusCode::kUnimplemented, "UNIMPLEMENTED"},
      {Status::Internal("m"), StatusCode::kInternal, "INTERNAL"},
      {Status::Unavailable("m"), StatusCode::kUnavailable, "UNAVAILABLE"},
      {Status::DataLoss("m"), StatusCode::kDataLoss, "DATA_LOSS"},
      {Status::Unauthenticated("m"), StatusCode::kUnauthenticated, "UNAUTHENTICATED"},
  };
  for (const Case& c : cases) {
    EXPECT_FALSE(c.status.ok());
    EXPECT_EQ(c.status.code(), c.code);
    EXPECT_EQ(c.status.message(), "m");
    EXPECT_EQ(StatusCodeName(c.code), c.name);
    EXPECT_EQ(c.status.ToString(), std::string(c.name) + ": m");
  }
  EXPECT_EQ(StatusCodeName(StatusCode::kOk), "OK");
}

TEST(Status, PredicatesMatchTheirCodeOnly) {
  EXPECT_TRUE(Status::NotFound("x").IsNotFound());
  EXPECT_FALSE(Status::NotFound("x").IsUnavailable());
  EXPECT_TRUE(Status::Unavailable("x").IsUnavailable());
  EXPECT_TRUE(Status::FailedPrecondition("x").IsFailedPrecondition());
  EXPECT_TRUE(Status::InvalidArgument("x").IsInvalidArgument());
  EXPECT_FALSE(Status::Ok().IsNotFound());
}

TEST(Status, DetailIsTypedAndShared) {
  Status s(StatusCode::kUnavailable, "busy", std::make_shared<TestDetail>(42));
  ASSERT_NE(s.detail_as<TestDetail>(), nullptr);
  EXPECT_EQ(s.detail_as<TestDetail>()->value, 42);
  EXPECT_EQ(s.detail_as<OtherDetail>(), nullptr);
  Status copy = s;
  EXPECT_EQ(copy.detail(), s.detail());  // copies share the immutable detail
  EXPECT_EQ(Status::NotFound("x").detail_as<TestDetail>(), nullptr);
}

TEST(Status, WithContextPrependsAndKeepsCodeAndDetail) {
  Status s(StatusCode::kNotFound, "no such key", std::make_shared<TestDetail>(7));
  Status c = s.WithContext("reading s3://b/k");
  EXPECT_EQ(c.code(), StatusCode::kNotFound);
  EXPECT_EQ(c.message(), "reading s3://b/k: no such key");
  ASSERT_NE(c.detail_as<TestDetail>(), nullptr);
  EXPECT_EQ(c.detail_as<TestDetail>()->value, 7);
  EXPECT_EQ(s.message(), "no such key");  // the original is untouched
  EXPECT_EQ(c.WithContext("outer").message(), "outer: reading s3://b/k: no such key");
}

TEST(Status, WithContextOnOkStaysOk) {
  Status s = Status::Ok().WithContext("ignored");
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.message(), "");
}

TEST(Result, HoldsAValue) {
  Result<int> r = 5;
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 5);
  EXPECT_EQ(r.value(), 5);
  EXPECT_TRUE(r.status().ok());
  EXPECT_EQ(r.value_or(9), 5);
}

TEST(Result, HoldsAnError) {
  Result<int> r = Status::NotFound("gone");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(r.status().message(), "gone");
  EXPECT_EQ(r.value_or(9), 9);
}

TEST(Result, OkStatusBecomesInternalError) {
  Result<int> r = Status::Ok();
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
}

TEST(Result, MovesOutMoveOnlyValues) {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(3);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(**r, 3);
  std::unique_ptr<int> p = std::move(r).value();
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(*p, 3);
}

TEST(Result, ArrowReachesMembers) {
  Result<std::string> r = std::string("abc");
  EXPECT_EQ(r->size(), 3u);
  r->push_back('d');
  EXPECT_EQ(*r, "abcd");
}

Status FailIf(bool fail, int* calls) {
  ++*calls;
  return fail ? Status::Aborted("stop") : Status::Ok();
}

Status TwoSteps(bool fail_first, int* calls) {
  THAW_RETURN_IF_ERROR(FailIf(fail_first, calls));
  THAW_RETURN_IF_ERROR(FailIf(false, calls));
  return Status::Ok();
}

TEST(Macros, ReturnIfErrorStopsAtTheFirstFailure) {
  int calls = 0;
  EXPECT_TRUE(TwoSteps(false, &calls).ok());
  EXPECT_EQ(calls, 2);
  calls = 0;
  Status s = TwoSteps(true, &calls);
  EXPECT_EQ(s.code(), StatusCode::kAborted);
  EXPECT_EQ(calls, 1);
}

Result<int> Half(int v) {
  if (v % 2 != 0) return Status::InvalidArgument(std::to_string(v) + " is odd");
  return v / 2;
}

Result<int> Quarter(int v) {
  THAW_ASSIGN_OR_RETURN(int half, Half(v));
  THAW_ASSIGN_OR_RETURN(int quarter, Half(half));
  return quarter;
}

Status QuarterInto(int v, int* out) {
  THAW_ASSIGN_OR_RETURN(*out, Quarter(v));
  return Status::Ok();
}

Result<std::unique_ptr<int>> Boxed(int v) {
  return std::make_unique<int>(v);
}

Result<int> Unbox(int v) {
  THAW_ASSIGN_OR_RETURN(auto box, Boxed(v));  // move-only values move through
  return *box;
}

TEST(Macros, AssignOrReturnBindsOrPropagates) {
  auto ok = Quarter(12);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 3);
  auto bad = Quarter(6);  // 6 -> 3 -> odd
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "3 is odd");
  int out = -1;
  EXPECT_TRUE(QuarterInto(8, &out).ok());
  EXPECT_EQ(out, 2);
  out = -1;
  EXPECT_EQ(QuarterInto(7, &out).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(out, -1);
  EXPECT_EQ(*Unbox(4), 4);
}

TEST(Macros, ReturnIfErrorWorksInResultFunctions) {
  auto f = [](bool fail) -> Result<std::string> {
    THAW_RETURN_IF_ERROR(fail ? Status::DataLoss("x") : Status::Ok());
    return std::string("done");
  };
  EXPECT_EQ(*f(false), "done");
  EXPECT_EQ(f(true).status().code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace thaw
