// SqsClient: the Amazon SQS operations thaw's event sources use (`thaw serve` polls a queue,
// `thaw sim` sends its CloudTrail-style events to one), spoken in AWS's JSON protocol 1.0 as
// current SDKs do: POST / with `X-Amz-Target: AmazonSQS.<Operation>`, content type
// application/x-amz-json-1.0, SigV4 (generic dialect) for service `sqs`. It reuses the s3
// module's wire layer: the pooled transport, the credentials chain, the signer and the retry
// policy.
//
// Errors: a failed call returns a Status with an S3ErrorDetail (the module's AWS error detail;
// `code` holds SQS's short error code, e.g. "QueueDoesNotExist", taken from the JSON `__type`
// "com.amazonaws.sqs#QueueDoesNotExist"). Codes follow what the caller should do:
// QueueDoesNotExist is kNotFound, throttling/5xx/network are kUnavailable (already retried with
// backoff), ReceiptHandleIsInvalid and bad parameters kInvalidArgument, credentials problems
// kPermissionDenied. Batch calls succeed as a whole when S3 answered 200 and report per-entry
// failures in their result.
//
// Retries: ReceiveMessage, DeleteMessage(Batch), ChangeMessageVisibility(Batch), GetQueueUrl and
// GetQueueAttributes are retried on any retryable failure; SendMessage(Batch) only when the
// request certainly did not take effect (connection refused, a 5xx or throttling answer), so a
// retry does not duplicate a message the queue already took.
//
// Thread safety: every call may be made from any thread.
#pragma once

#include <atomic>
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

namespace thaw::s3 {

// SQS limits (AWS): 10 entries per batch, 20 s longest long poll, 12 h longest visibility.
inline constexpr int kSqsMaxBatchEntries = 10;
inline constexpr int kSqsMaxWaitSeconds = 20;
inline constexpr int kSqsMaxVisibilitySeconds = 12 * 3600;

struct SqsConfig {
  std::string region = "us-east-1";
  // Empty: AWS (https://sqs.REGION.amazonaws.com). Else e.g. http://127.0.0.1:5000 (moto).
  std::string endpoint_url;
  EndpointVariant variant;  // FIPS / dual-stack host names when endpoint_url is empty
  TransportOptions transport;
  RetryPolicy retry;
};

struct SqsMessage {
  std::string message_id;
  std::string receipt_handle;  // needed to delete it or change its visibility
  std::string body;
  std::string md5_of_body;
  // System attributes asked for (ApproximateReceiveCount, SentTimestamp, ...), as sent.
  std::map<std::string, std::string> attributes;
  // String and Number message attributes (StringValue); binary ones are left out.
  std::map<std::string, std::string> message_attributes;
  // ApproximateReceiveCount as a number (1 on the first delivery); 0 when not returned.
  int receive_count = 0;
};

struct ReceiveMessageRequest {
  std::string queue_url;
  int max_messages = 10;       // 1..10
  int wait_time_seconds = 20;  // long poll, 0..20; 0 is a short poll
  // How long received messages stay hidden from other consumers; nullopt: the queue's default.
  std::optional<int> visibility_timeout_seconds;
  // System attributes to return; "All" includes ApproximateReceiveCount.
  std::vector<std::string> attribute_names = {"All"};
  std::vector<std::string> message_attribute_names;  // e.g. {"All"}
  // When set, the poll is abandoned (kCancelled, not retried) once *cancel turns true before an
  // answer began; see HttpRequest::cancel. Messages SQS already handed out are still returned.
  const std::atomic<bool>* cancel = nullptr;
};

struct SendMessageRequest {
  std::string queue_url;
  std::string body;
  int delay_seconds = 0;
  std::string message_group_id;                           // FIFO queues only
  std::string message_deduplication_id;                   // FIFO queues only
  std::map<std::string, std::string> message_attributes;  // sent as String attributes
};

struct SendMessageResult {
  std::string message_id;
  std::string md5_of_body;
};

struct SendMessageBatchEntry {
  std::string id;  // unique within the batch: [A-Za-z0-9_-]{1,80}
  std::string body;
  int delay_seconds = 0;
  std::string message_group_id;
  std::string message_deduplication_id;
};

struct ReceiptEntry {
  std::string id;  // unique within the batch
  std::string receipt_handle;
};

struct VisibilityEntry {
  std::string id;
  std::string receipt_handle;
  int visibility_timeout_seconds = 0;
};

// A batch entry SQS refused while accepting the call.
struct BatchEntryFailure {
  std::string id;
  std::string code;  // "ReceiptHandleIsInvalid", ...
  std::string message;
  bool sender_fault = false;  // true: resending the same entry will fail again
};

struct BatchResult {
  std::vector<std::string> successful;  // entry ids
  std::vector<BatchEntryFailure> failed;
  // SendMessageBatch only: entry id -> MessageId.
  std::map<std::string, std::string> message_ids;
};

class SqsClient {
 public:
  virtual ~SqsClient() = default;

  virtual Result<SendMessageResult> SendMessage(const SendMessageRequest& request) = 0;
  // 1..10 entries with distinct ids.
  virtual Result<BatchResult> SendMessageBatch(
      const std::string& queue_url, const std::vector<SendMessageBatchEntry>& entries) = 0;
  // Waits up to wait_time_seconds for at least one message; an empty vector when none came.
  virtual Result<std::vector<SqsMessage>> ReceiveMessage(const ReceiveMessageRequest& request) = 0;
  virtual Status DeleteMessage(const std::string& queue_url, const std::string& receipt_handle) = 0;
  virtual Result<BatchResult> DeleteMessageBatch(const std::string& queue_url,
                                                 const std::vector<ReceiptEntry>& entries) = 0;
  virtual Status ChangeMessageVisibility(const std::string& queue_url,
                                         const std::string& receipt_handle,
                                         int visibility_timeout_seconds) = 0;
  virtual Result<BatchResult> ChangeMessageVisibilityBatch(
      const std::string& queue_url, const std::vector<VisibilityEntry>& entries) = 0;
  // The URL of queue `name` (owned by `owner_account_id` when given).
  virtual Result<std::string> GetQueueUrl(const std::string& name,
                                          const std::string& owner_account_id = "") = 0;
  // Creates queue `name` (or returns the URL of an identical existing one); attributes such as
  // VisibilityTimeout, RedrivePolicy.
  virtual Result<std::string> CreateQueue(
      const std::string& name, const std::map<std::string, std::string>& attributes = {}) = 0;
  // Queue attributes by name ({"All"} for every one), e.g. ApproximateNumberOfMessages.
  virtual Result<std::map<std::string, std::string>> GetQueueAttributes(
      const std::string& queue_url, const std::vector<std::string>& names = {"All"}) = 0;
};

// The JSON protocol client. `credentials` may be null for unsigned requests.
std::unique_ptr<SqsClient> MakeSqsClient(const SqsConfig& config,
                                         std::shared_ptr<CredentialsProvider> credentials,
                                         Clock& clock = Clock::Real(),
                                         std::shared_ptr<HttpTransport> transport = nullptr);

// SQS's short error code of `s` ("" when none), e.g. "QueueDoesNotExist".
std::string SqsErrorCode(const Status& s);

// The region in an AWS queue URL (https://sqs.eu-west-1.amazonaws.com/123/q -> "eu-west-1");
// "" for other hosts (moto, localstack) and the legacy queue.amazonaws.com.
std::string RegionFromQueueUrl(const std::string& queue_url);

}  // namespace thaw::s3
