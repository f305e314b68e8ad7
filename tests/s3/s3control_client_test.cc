// The S3 Control job client and STS GetCallerIdentity against a fake server
// (tests/support/http_test_server): what goes on the wire (paths, x-amz-account-id, the
// CreateJob document as boto3 writes it, SigV4 scope), how answers are read, and the error
// shapes (S3's <Error> and the query protocol's <ErrorResponse>), their status codes and retries.
// moto does not serve Batch Operations; tests/integration/batch_restore_test.cc runs the client
// against thaw sim, which boto3 checks in tests/sim/py/batch_jobs.py.
#include "s3/s3control_client.h"

#include <gtest/gtest.h>

#include <pugixml.hpp>

#include "common/clock.h"
#include "s3/error.h"
#include "support/http_test_server.h"

namespace thaw::s3 {
namespace {

using thaw::testing::HttpTestServer;
using thaw::testing::TestRequest;
using thaw::testing::TestResponse;

constexpr char kAccount[] = "123456789012";

TestResponse Xml(int status, std::string body) {
  TestResponse r = TestResponse::Status(status, std::move(body));
  r.headers = {{"Content-Type", "application/xml"}, {"x-amz-request-id", "REQ-7"}};
  return r;
}

constexpr char kDescribe[] = R"(<?xml version="1.0" encoding="UTF-8"?>
<DescribeJobResult xmlns="http://awss3control.amazonaws.com/doc/2018-08-20/"><Job>
<JobId>f8fb9d89-a3aa-461d-bddc-ea6a1b131955</JobId><Status>Failed</Status>
<ProgressSummary><TotalNumberOfTasks>1500</TotalNumberOfTasks>
<NumberOfTasksSucceeded>400</NumberOfTasksSucceeded><NumberOfTasksFailed>1100</NumberOfTasksFailed>
<Timers><ElapsedTimeInActiveSeconds>42</ElapsedTimeInActiveSeconds></Timers></ProgressSummary>
<FailureReasons><member><FailureCode>TaskFailureThresholdExceeded</FailureCode>
<FailureReason>too many</FailureReason></member></FailureReasons>
<Report><Bucket>arn:aws:s3:::reports</Bucket><Format>Report_CSV_20180820</Format>
<Enabled>true</Enabled><Prefix>batch</Prefix><ReportScope>AllTasks</ReportScope></Report>
<CreationTime>2026-12-04T09:00:00.000Z</CreationTime>
<TerminationDate>2026-12-04T09:05:00.000Z</TerminationDate></Job></DescribeJobResult>)";

class S3ControlAgainstFakeServer : public ::testing::Test {
 protected:
  std::unique_ptr<S3ControlClient> Client(HttpTestServer& server, int max_attempts = 3) {
    S3ControlConfig config;
    config.endpoint_url = server.url() + "/";
    config.region = "eu-west-1";
    config.retry.max_attempts = max_attempts;
    Credentials creds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "", {}, "test"};
    return MakeS3ControlClient(config, MakeStaticProvider(creds), clock_);
  }
  FakeClock clock_{FakeClock::TimePoint(std::chrono::seconds(1700000000)), /*auto_advance=*/true};
};

TEST_F(S3ControlAgainstFakeServer, CreateJobSendsRestoreJobDocument) {
  HttpTestServer server([](const TestRequest&) {
    return Xml(200, "<CreateJobResult><JobId>job-1234</JobId></CreateJobResult>");
  });
  CreateRestoreJobRequest req;
  req.account_id = kAccount;
  req.client_request_token = "thaw-abc-1";
  req.role_arn = "arn:aws:iam::123456789012:role/thaw-batch";
  req.manifest_arn = "arn:aws:s3:::reports/m & n.csv";
  req.manifest_etag = "\"0123\"";
  req.expiration_days = 7;
  req.glacier_job_tier = "STANDARD";
  req.report_bucket_arn = "arn:aws:s3:::reports";
  req.report_prefix = "batch";
  auto id = Client(server)->CreateRestoreJob(req);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(*id, "job-1234");
  ASSERT_EQ(server.request_count(), 1);
  TestRequest r = server.requests()[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/v20180820/jobs");
  EXPECT_EQ(r.Header("x-amz-account-id"), kAccount);
  EXPECT_NE(r.Header("authorization").find("/eu-west-1/s3/aws4_request"), std::string::npos);
  EXPECT_NE(r.Header("authorization").find("x-amz-account-id"), std::string::npos);
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(r.body.c_str())) << r.body;
  pugi::xml_node root = doc.child("CreateJobRequest");
  EXPECT_STREQ(root.child_value("ClientRequestToken"), "thaw-abc-1");
  EXPECT_STREQ(root.child_value("ConfirmationRequired"), "false");
  pugi::xml_node op = root.child("Operation").child("S3InitiateRestoreObject");
  EXPECT_STREQ(op.child_value("ExpirationInDays"), "7");
  EXPECT_STREQ(op.child_value("GlacierJobTier"), "STANDARD");
  pugi::xml_node m = root.child("Manifest");
  EXPECT_STREQ(m.child("Spec").child_value("Format"), "S3BatchOperations_CSV_20180820");
  EXPECT_STREQ(m.child("Location").child_value("ObjectArn"), "arn:aws:s3:::reports/m & n.csv");
  EXPECT_STREQ(m.child("Location").child_value("ETag"), "\"0123\"");
  EXPECT_STREQ(root.child("Report").child_value("ReportScope"), "FailedTasksOnly");
  EXPECT_STREQ(root.child_value("RoleArn"), "arn:aws:iam::123456789012:role/thaw-batch");
}

TEST_F(S3ControlAgainstFakeServer, IntelligentTieringJobOmitsExpiration) {
  HttpTestServer server([](const TestRequest&) {
    return Xml(200, "<CreateJobResult><JobId>job-1</JobId></CreateJobResult>");
  });
  CreateRestoreJobRequest req;
  req.account_id = kAccount;
  req.client_request_token = "t";
  req.role_arn = "arn:aws:iam::123456789012:role/r";
  req.manifest_arn = "arn:aws:s3:::b/m.csv";
  req.manifest_etag = "e";
  req.report_enabled = false;
  ASSERT_TRUE(Client(server)->CreateRestoreJob(req).ok());
  std::string body = server.requests()[0].body;
  EXPECT_EQ(body.find("ExpirationInDays"), std::string::npos) << body;
  EXPECT_NE(body.find("<Report><Enabled>false</Enabled></Report>"), std::string::npos) << body;
}

TEST_F(S3ControlAgainstFakeServer, DescribeJobReadsProgressAndFailures) {
  HttpTestServer server([](const TestRequest&) { return Xml(200, kDescribe); });
  auto job = Client(server)->DescribeJob(kAccount, "f8fb9d89-a3aa-461d-bddc-ea6a1b131955");
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  EXPECT_EQ(server.requests()[0].target, "/v20180820/jobs/f8fb9d89-a3aa-461d-bddc-ea6a1b131955");
  EXPECT_EQ(server.requests()[0].method, "GET");
  EXPECT_EQ(job->status, "Failed");
  EXPECT_TRUE(job->terminal());
  EXPECT_EQ(job->total_tasks, 1500u);
  EXPECT_EQ(job->succeeded_tasks, 400u);
  EXPECT_EQ(job->failed_tasks, 1100u);
  EXPECT_EQ(job->elapsed_active_seconds, 42u);
  ASSERT_EQ(job->failure_reasons.size(), 1u);
  EXPECT_EQ(job->failure_reasons[0].code, "TaskFailureThresholdExceeded");
  EXPECT_EQ(job->report_prefix, "batch");
  EXPECT_TRUE(job->report_enabled);
  ASSERT_TRUE(job->termination_date.has_value());
}

TEST_F(S3ControlAgainstFakeServer, ListJobsFollowsNextTokenAndRepeatsStatuses) {
  HttpTestServer server([](const TestRequest& r) {
    if (r.target.find("nextToken=") == std::string::npos) {
      return Xml(200,
                 "<ListJobsResult><NextToken>p2</NextToken><Jobs><member><JobId>a</JobId>"
                 "<Status>Active</Status></member></Jobs></ListJobsResult>");
    }
    return Xml(200,
               "<ListJobsResult><Jobs><member><JobId>b</JobId><Status>Complete</Status>"
               "</member></Jobs></ListJobsResult>");
  });
  auto jobs = Client(server)->ListJobs(kAccount, {"Active", "Complete"});
  ASSERT_TRUE(jobs.ok()) << jobs.status().ToString();
  ASSERT_EQ(jobs->size(), 2u);
  EXPECT_EQ((*jobs)[1].job_id, "b");
  EXPECT_EQ(server.requests()[0].target, "/v20180820/jobs?jobStatuses=Active&jobStatuses=Complete");
  EXPECT_EQ(server.requests()[1].target,
            "/v20180820/jobs?jobStatuses=Active&jobStatuses=Complete&nextToken=p2");
}

TEST_F(S3ControlAgainstFakeServer, UpdateJobStatusPostsQuery) {
  HttpTestServer server([](const TestRequest&) {
    return Xml(200,
               "<UpdateJobStatusResult><JobId>j</JobId><Status>Cancelling</Status>"
               "</UpdateJobStatusResult>");
  });
  auto s = Client(server)->UpdateJobStatus(kAccount, "j", "Cancelled", "not today");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(*s, "Cancelling");
  EXPECT_EQ(server.requests()[0].method, "POST");
  EXPECT_EQ(server.requests()[0].target,
            "/v20180820/jobs/j/status?requestedJobStatus=Cancelled&statusUpdateReason=not%20today");
}

TEST_F(S3ControlAgainstFakeServer, ErrorShapesMapToStatusCodes) {
  struct Case {
    int http;
    std::string body;
    StatusCode want;
    std::string code;
  } cases[] = {
      {400,
       "<Error><Code>InvalidRequest</Code><Message>RoleArn is not a valid IAM role "
       "ARN</Message></Error>",
       StatusCode::kInvalidArgument, "InvalidRequest"},
      {403,
       "<ErrorResponse><Error><Code>AccessDenied</Code><Message>not authorized to perform "
       "iam:PassRole</Message></Error><RequestId>R</RequestId></ErrorResponse>",
       StatusCode::kPermissionDenied, "AccessDenied"},
      {404, "<Error><Code>NotFoundException</Code><Message>no job</Message></Error>",
       StatusCode::kNotFound, "NotFoundException"},
  };
  for (const Case& c : cases) {
    HttpTestServer server([&](const TestRequest&) { return Xml(c.http, c.body); });
    auto job = Client(server)->DescribeJob(kAccount, "jjjjj");
    ASSERT_FALSE(job.ok());
    EXPECT_EQ(job.status().code(), c.want) << job.status().ToString();
    EXPECT_EQ(S3ErrorCode(job.status()), c.code);
    EXPECT_EQ(server.request_count(), 1) << "client errors are not retried";
    EXPECT_NE(job.status().message().find("S3 Control DescribeJob"), std::string::npos);
  }
}

TEST_F(S3ControlAgainstFakeServer, ThrottledCreateJobIsRetriedWithSameToken) {
  int calls = 0;
  HttpTestServer server([&](const TestRequest&) {
    if (++calls == 1) {
      return Xml(503, "<Error><Code>SlowDown</Code><Message>slow</Message></Error>");
    }
    return Xml(200, "<CreateJobResult><JobId>job-9</JobId></CreateJobResult>");
  });
  CreateRestoreJobRequest req;
  req.account_id = kAccount;
  req.client_request_token = "tok-9";
  req.role_arn = "arn:aws:iam::123456789012:role/r";
  req.manifest_arn = "arn:aws:s3:::b/m.csv";
  req.manifest_etag = "e";
  req.report_enabled = false;
  auto id = Client(server)->CreateRestoreJob(req);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(*id, "job-9");
  ASSERT_EQ(server.request_count(), 2);
  EXPECT_EQ(server.requests()[0].body, server.requests()[1].body);
}

TEST_F(S3ControlAgainstFakeServer, RefusesBadAccountIdWithoutSending) {
  HttpTestServer server([](const TestRequest&) { return Xml(200, kDescribe); });
  auto job = Client(server)->DescribeJob("12345", "jjjjj");
  EXPECT_EQ(job.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(server.request_count(), 0);
}

TEST(S3ControlEndpoint, EnvironmentOverridesS3Endpoint) {
  EnvLookup none = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  EXPECT_EQ(ResolveS3ControlEndpoint("http://127.0.0.1:9000", none), "http://127.0.0.1:9000");
  EnvLookup env = [](const std::string& n) -> std::optional<std::string> {
    if (n == "AWS_ENDPOINT_URL_S3_CONTROL") return "http://control:1";
    return std::nullopt;
  };
  EXPECT_EQ(ResolveS3ControlEndpoint("http://127.0.0.1:9000", env), "http://control:1");
}

TEST(GetCallerIdentity, PostsQueryAndReadsAccount) {
  HttpTestServer server([](const TestRequest&) {
    return TestResponse::Ok(
        "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
        "<GetCallerIdentityResult><Arn>arn:aws:iam::210987654321:user/u</Arn>"
        "<UserId>AIDA</UserId><Account>210987654321</Account></GetCallerIdentityResult>"
        "</GetCallerIdentityResponse>");
  });
  FakeClock clock{FakeClock::TimePoint(std::chrono::seconds(1700000000))};
  Credentials creds{"AKIDEXAMPLE", "secret", "", {}, "test"};
  auto provider = MakeStaticProvider(creds);
  auto transport = MakeCurlTransport();
  auto id = GetCallerIdentity(*transport, *provider, "eu-west-1", server.url(), clock);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(id->account, "210987654321");
  TestRequest r = server.requests()[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/");
  EXPECT_EQ(r.body, "Action=GetCallerIdentity&Version=2011-06-15");
  EXPECT_NE(r.Header("authorization").find("/eu-west-1/sts/aws4_request"), std::string::npos);

  server.set_handler([](const TestRequest&) {
    return TestResponse::Status(
        403,
        "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code>"
        "<Message>The security token included in the request is invalid.</Message></Error>"
        "</ErrorResponse>");
  });
  auto bad = GetCallerIdentity(*transport, *provider, "eu-west-1", server.url(), clock);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(S3ErrorCode(bad.status()), "InvalidClientTokenId");
  EXPECT_EQ(bad.status().message().find("secret"), std::string::npos);
}

}  // namespace
}  // namespace thaw::s3
