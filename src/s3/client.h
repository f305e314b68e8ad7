// S3Client: the typed S3 operations thaw uses. Everything above the s3 module (restore engine,
// file system, events, CLI) speaks to S3 only through this interface.
//
// Implementations: the real client over HTTP (MakeHttpClient: SigV4, retries with backoff,
// connection reuse) and, for tests of the layers above, an in-memory mock.
//
// Every call is thread-safe. Failures are Status values with an S3ErrorDetail (see error.h).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "s3/credentials.h"
#include "s3/endpoints.h"
#include "s3/http.h"
#include "s3/retry.h"
#include "s3/types.h"

namespace thaw::s3 {

// S3's limit on a key: 1,024 bytes of UTF-8. The HTTP client refuses a longer key with
// InvalidArgument before sending anything (S3 would answer KeyTooLongError, after the bytes
// had crossed the network and been signed).
inline constexpr size_t kMaxKeyBytes = 1024;

struct ListObjectsRequest {
  std::string bucket;
  std::string prefix;
  std::string delimiter;
  std::string continuation_token;
  std::string start_after;
  int max_keys = 1000;
  // x-amz-optional-object-attributes: "RestoreStatus" asks for each object's restore state
  // (servers may ignore it); empty sends no header. list.h's capability probe sends a name S3
  // does not know.
  std::string optional_attributes = "RestoreStatus";
};

struct HeadObjectRequest {
  std::string bucket;
  std::string key;
  std::string version_id;
};

struct ByteRange {
  uint64_t first = 0;
  std::optional<uint64_t> last;  // inclusive; nullopt: to the end
};

struct GetObjectRequest {
  std::string bucket;
  std::string key;
  std::string version_id;
  std::optional<ByteRange> range;
  std::string if_match;  // ETag pinned by the caller; a changed object gives 412
  // With a sink, the body streams to it and GetObjectResult::body stays empty.
  BodySink sink;
};

struct GetObjectResult {
  ObjectInfo info;  // size is the length of what was returned
  std::string body;
  std::optional<uint64_t> total_size;  // from Content-Range on ranged reads
};

struct PutObjectRequest {
  std::string bucket;
  std::string key;
  HttpBody body;
  std::string storage_class;  // empty: bucket default (STANDARD)
  std::string content_type;
  std::map<std::string, std::string> metadata;  // without the x-amz-meta- prefix
};

struct PutObjectResult {
  std::string etag;
  std::string version_id;
};

// Multipart upload (a big object sent in parts of 5 MiB..5 GiB, at most 10,000 of them; the
// last part may be smaller). Create returns the upload id that every later call names; an upload
// that is neither completed nor aborted keeps its parts (and bills them) until aborted.
struct CreateMultipartUploadRequest {
  std::string bucket;
  std::string key;
  std::string storage_class;  // empty: bucket default (STANDARD)
  std::string content_type;
  std::map<std::string, std::string> metadata;  // without the x-amz-meta- prefix
};

struct UploadPartRequest {
  std::string bucket;
  std::string key;
  std::string upload_id;
  int part_number = 0;  // 1..10000
  HttpBody body;        // a reader body must have a rewind to be retried
  // Base64 MD5 of the body (Content-MD5): S3 refuses a part that arrived different (BadDigest).
  std::string content_md5;
};

struct CompleteMultipartUploadRequest {
  std::string bucket;
  std::string key;
  std::string upload_id;
  std::vector<CompletedPart> parts;  // ascending part numbers
};

struct RestoreObjectRequest {
  std::string bucket;
  std::string key;
  std::string version_id;
  RestoreTier tier = RestoreTier::kStandard;
  std::optional<int> days;  // required for GLACIER/DEEP_ARCHIVE, omitted for Intelligent-Tiering
};

// Receives the outcome of S3Client::RestoreObjectAsync.
using RestoreObjectCallback = std::function<void(Result<RestoreOutcome>)>;

class S3Client {
 public:
  virtual ~S3Client() = default;

  virtual Result<ListObjectsPage> ListObjectsV2(const ListObjectsRequest& request) = 0;
  virtual Result<ObjectInfo> HeadObject(const HeadObjectRequest& request) = 0;
  virtual Result<GetObjectResult> GetObject(const GetObjectRequest& request) = 0;
  virtual Result<PutObjectResult> PutObject(const PutObjectRequest& request) = 0;
  virtual Status DeleteObject(const std::string& bucket, const std::string& key,
                              const std::string& version_id = "") = 0;
  virtual Status CreateBucket(const std::string& bucket) = 0;
  // HEAD of the bucket: Ok when it exists and may be listed (the cheapest authenticated call;
  // the mount opens its read connections with it).
  virtual Status HeadBucket(const std::string& bucket) = 0;
  virtual Result<RestoreOutcome> RestoreObject(const RestoreObjectRequest& request) = 0;
  // RestoreObject without holding the caller: `done` runs exactly once with what RestoreObject
  // would have returned. The HTTP client sends it on its transport's event loop (retries too,
  // their backoff waited out on the loop's timers, not in a thread) and calls `done` on that
  // loop's thread, so `done` must be quick and must not block. Callers wait for every `done`
  // before destroying the client. This default calls RestoreObject on the caller's thread.
  virtual void RestoreObjectAsync(const RestoreObjectRequest& request, RestoreObjectCallback done) {
    done(RestoreObject(request));
  }

  // Returns the upload id.
  virtual Result<std::string> CreateMultipartUpload(
      const CreateMultipartUploadRequest& request) = 0;
  // Returns the part's ETag.
  virtual Result<std::string> UploadPart(const UploadPartRequest& request) = 0;
  // The object's ETag is S3's multipart form: "<md5 of the parts' md5s>-<number of parts>".
  // An error that S3 sends inside a 200 answer (it may, once the body has started) is an error.
  virtual Result<PutObjectResult> CompleteMultipartUpload(
      const CompleteMultipartUploadRequest& request) = 0;
  // Removes the upload and its parts. NoSuchUpload (already gone) is kNotFound.
  virtual Status AbortMultipartUpload(const std::string& bucket, const std::string& key,
                                      const std::string& upload_id) = 0;

  // The time scale the endpoint announced on its latest answer (x-thaw-time-scale, see
  // types.h): 1 for AWS and every endpoint that never sent one.
  virtual double EndpointTimeScale() const { return 1.0; }
};

// Where and how the client talks to S3. Resolve it with ResolveClientConfig (config.h).
struct ClientConfig {
  std::string region = "us-east-1";
  std::string endpoint_url;  // empty: AWS (https://s3.REGION.amazonaws.com)
  // Path-style (https://host/bucket/key) instead of virtual-hosted (https://bucket.host/key).
  // Always used for custom endpoints and for bucket names that are not DNS-safe (dots).
  bool force_path_style = false;
  EndpointVariant variant;  // FIPS / dual-stack host names on AWS
  // "requester": every request carries x-amz-request-payer (requester-pays buckets).
  std::string request_payer;
  TransportOptions transport;
  RetryPolicy retry;
};

// The real client. `credentials` may be null for unsigned requests (--no-sign-request).
std::unique_ptr<S3Client> MakeHttpClient(const ClientConfig& config,
                                         std::shared_ptr<CredentialsProvider> credentials,
                                         Clock& clock = Clock::Real(),
                                         std::shared_ptr<HttpTransport> transport = nullptr);

}  // namespace thaw::s3
