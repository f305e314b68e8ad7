// Maps an HTTP request to an S3 operation: path-style (/bucket/key) and virtual-hosted style
// (Host: bucket.localhost[:port], or any host under `virtual_host_suffix`) addressing, then
// method and sub-resource (?uploads, ?uploadId, ?restore, ?delete, list-type=2, ...).
//
// Pure functions, thread-safe.
#pragma once

#include <string>

#include "common/status.h"
#include "sim/request.h"

namespace thaw::sim {

// Splits the target into path/raw_query and decodes the query into req.query.
Status ParseTarget(Request& req);

// The operation for `req`. Unknown combinations are MethodNotAllowed / NotImplemented errors.
// Requests under /_thaw/ are the admin endpoint: op "Admin", key = rest of the path.
Result<Route> RouteRequest(const Request& req,
                           const std::string& virtual_host_suffix = "localhost");

}  // namespace thaw::sim
