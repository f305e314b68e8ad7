// The sim's view of one HTTP exchange, independent of the HTTP library: what the server hands
// to the service (Request) and what the service answers (Response). Bodies of uploads never
// appear here as bytes: they were streamed to a file by an UploadSink.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "s3/http.h"
#include "sim/upload_sink.h"

namespace thaw::sim {

struct Request {
  std::string method;
  std::string target;                        // as sent: /encoded/path?query
  std::string path;                          // encoded path part of target
  std::string raw_query;                     // encoded query part of target ("" when none)
  std::map<std::string, std::string> query;  // decoded names and values
  s3::HttpHeaders headers;
  std::string remote_ip;
  std::string body;                    // small bodies (XML)
  std::optional<UploadResult> upload;  // streamed bodies (PutObject, UploadPart)

  bool HasQuery(const std::string& name) const { return query.count(name) > 0; }
  std::string Query(const std::string& name) const {
    auto it = query.find(name);
    return it == query.end() ? "" : it->second;
  }
};

// A byte range of a file sent as the response body.
struct FileBody {
  std::string path;
  uint64_t offset = 0;
  uint64_t length = 0;
};

struct Response {
  int status = 200;
  s3::HttpHeaders headers;
  std::string body;
  std::optional<FileBody> file;  // when set, the body is this file range
  // HEAD: Content-Length describes the object but no body follows.
  bool head = false;
  // Close the connection after this response (e.g. the request body was not read).
  bool close = false;
  // For error responses: the S3 error (event output records them).
  std::string error_code;
  std::string error_message;
  // The whole object's size when the response is about one object (access log "Object Size").
  std::optional<uint64_t> object_size;
};

// Where an S3 request is going: the operation name (as in S3's API and in fault rules) and the
// bucket and key, both decoded.
struct Route {
  std::string op;
  std::string subresource;  // the query key that selected op ("" for none)
  std::string bucket;
  std::string key;
  bool virtual_hosted = false;  // the bucket came from the Host header (BUCKET.localhost)
};

}  // namespace thaw::sim
