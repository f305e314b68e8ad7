// Routing of the requests thaw sim answers besides S3's own: the S3 Control job API
// (/v20180820/jobs with x-amz-account-id) and STS GetCallerIdentity (POST / with a form body).
// The operations live in s3control_ops.cc, the jobs in s3control_jobs.h.
//
// Pure functions, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "sim/request.h"

namespace thaw::sim {

// The route of a control-plane request (ops CreateJob, ListJobs, DescribeJob, UpdateJobStatus
// with key = job id; STS), an error for a control-plane path it does not serve, or nullopt for
// anything else (an S3 request). `path`: the decoded path without its leading '/'.
std::optional<Result<Route>> RouteControlPlane(const Request& req, std::string_view path);

// True for the ops RouteControlPlane returns.
bool IsControlPlaneOp(const std::string& op);

}  // namespace thaw::sim
