// Maps an HTTP request to an S3 operation: path-style (/bucket/key) and virtual-hosted style
// (Host: bucket.localhost[:port], or any host under `virtual_host_suffix`) addressing, then
// method and sub-resource (?uploads, ?uploadId, ?restore, ?delete, list-type=2, ...).
//
// Pure functions, thread-safe.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "sim/request.h"

namespace thaw::sim {

// Splits the target into path/raw_query and decodes the query into req.query.
Status ParseTarget(Request& req);

// The operation for `req`: every operation of S3's API has a route, whether or not the sim
// implements it (Service::Dispatch answers 501 NotImplemented for the rest). A sub-resource
// with a method S3 does not define for it is MethodNotAllowed; a sub-resource of another
// level (?versioning on an object) is NotImplemented.
// Requests under /_thaw/ are the admin endpoint: op "Admin", key = rest of the path.
Result<Route> RouteRequest(const Request& req,
                           const std::string& virtual_host_suffix = "localhost");

// Every operation name RouteRequest can answer, in table order (tests walk it).
std::vector<std::string> AllRoutedOperations();

}  // namespace thaw::sim
