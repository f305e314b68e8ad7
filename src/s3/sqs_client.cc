// The SQS JSON-protocol client (see sqs_client.h): builds each operation's JSON body, signs it
// with SigV4 for service `sqs`, sends it with retries and reads the JSON answer or error.
#include "s3/sqs_client.h"

#include <nlohmann/json.hpp>
#include <set>

#include "common/strings.h"
#include "s3/error.h"
#include "s3/retry.h"
#include "s3/sigv4.h"

namespace thaw::s3 {
namespace {

using nlohmann::json;

struct CodeRule {
  std::string_view code;
  StatusCode status;
  bool retryable;
};

// SQS error codes (JSON protocol names, and the query protocol's names that some servers still
// send in x-amzn-query-error). Others fall back to the HTTP status.
constexpr CodeRule kSqsCodeRules[] = {
    {"QueueDoesNotExist", StatusCode::kNotFound, false},
    {"AWS.SimpleQueueService.NonExistentQueue", StatusCode::kNotFound, false},
    {"QueueDeletedRecently", StatusCode::kFailedPrecondition, false},
    {"QueueNameExists", StatusCode::kAlreadyExists, false},
    {"PurgeQueueInProgress", StatusCode::kFailedPrecondition, false},
    {"MessageNotInflight", StatusCode::kFailedPrecondition, false},
    {"ReceiptHandleIsInvalid", StatusCode::kInvalidArgument, false},
    {"InvalidParameterValue", StatusCode::kInvalidArgument, false},
    {"MissingParameter", StatusCode::kInvalidArgument, false},
    {"InvalidMessageContents", StatusCode::kInvalidArgument, false},
    {"BatchEntryIdsNotDistinct", StatusCode::kInvalidArgument, false},
    {"EmptyBatchRequest", StatusCode::kInvalidArgument, false},
    {"TooManyEntriesInBatchRequest", StatusCode::kInvalidArgument, false},
    {"InvalidBatchEntryId", StatusCode::kInvalidArgument, false},
    {"BatchRequestTooLong", StatusCode::kInvalidArgument, false},
    {"UnsupportedOperation", StatusCode::kUnimplemented, false},
    {"AccessDenied", StatusCode::kPermissionDenied, false},
    {"AccessDeniedException", StatusCode::kPermissionDenied, false},
    {"InvalidClientTokenId", StatusCode::kPermissionDenied, false},
    {"UnrecognizedClientException", StatusCode::kPermissionDenied, false},
    {"SignatureDoesNotMatch", StatusCode::kPermissionDenied, false},
    {"IncompleteSignature", StatusCode::kPermissionDenied, false},
    {"ExpiredToken", StatusCode::kPermissionDenied, false},
    {"InvalidSecurity", StatusCode::kPermissionDenied, false},
    // Too many in-flight messages: consumers must delete some first; waiting helps.
    {"OverLimit", StatusCode::kUnavailable, true},
    {"ThrottlingException", StatusCode::kUnavailable, true},
    {"RequestThrottled", StatusCode::kUnavailable, true},
    {"KmsThrottled", StatusCode::kUnavailable, true},
    {"ServiceUnavailable", StatusCode::kUnavailable, true},
    {"InternalFailure", StatusCode::kUnavailable, true},
    {"InternalError", StatusCode::kUnavailable, true},
};

// "com.amazonaws.sqs#QueueDoesNotExist" -> "QueueDoesNotExist"; "A;Sender" -> "A".
std::string ShortCode(std::string_view type) {
  size_t hash = type.rfind('#');
  if (hash != std::string_view::npos) type.remove_prefix(hash + 1);
  size_t colon = type.find(':');  // some services append ":http://internal.amazon.com/..."
  if (colon != std::string_view::npos) type = type.substr(0, colon);
  size_t semi = type.find(';');
  if (semi != std::string_view::npos) type = type.substr(0, semi);
  return std::string(Trim(type));
}

Status SqsErrorFromResponse(const HttpResponse& resp, std::string_view operation) {
  auto d = std::make_shared<S3ErrorDetail>();
  d->kind = S3ErrorDetail::Kind::kService;
  d->http_status = resp.status;
  d->request_id = resp.headers.Get("x-amzn-RequestId");
  json body = json::parse(resp.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_object()) {
    if (auto it = body.find("__type"); it != body.end() && it->is_string()) {
      d->code = ShortCode(it->get<std::string>());
    }
    for (const char* m : {"message", "Message"}) {
      if (auto it = body.find(m); it != body.end() && it->is_string()) {
        d->message = it->get<std::string>();
        break;
      }
    }
  }
  if (d->code.empty()) d->code = ShortCode(resp.headers.Get("X-Amzn-ErrorType"));
  if (d->code.empty()) d->code = ShortCode(resp.headers.Get("x-amzn-query-error"));

  StatusCode code = StatusCode::kInvalidArgument;
  bool found = false;
  for (const auto& rule : kSqsCodeRules) {
    if (rule.code == d->code) {
      code = rule.status;
      d->retryable = rule.retryable;
      found = true;
      break;
    }
  }
  if (!found) {
    if (resp.status >= 500 || resp.status == 429) {
      code = StatusCode::kUnavailable;
      d->retryable = resp.status != 501;
      if (resp.status == 501) code = StatusCode::kUnimplemented;
    } else if (resp.status == 401 || resp.status == 403) {
      code = StatusCode::kPermissionDenied;
    } else if (resp.status == 404) {
      code = StatusCode::kNotFound;
    }
  }
  std::string message = "SQS " + std::string(operation) + ": " +
                        (d->code.empty() ? "HTTP " + std::to_string(resp.status) : d->code);
  if (!d->message.empty()) message += ": " + d->message;
  return Status(code, std::move(message), std::move(d));
}

// A JSON answer that is not what the protocol promises (a proxy's HTML page, a truncated body).
Status BadAnswer(std::string_view operation, std::string_view why) {
  return Status::Internal("SQS " + std::string(operation) +
                          ": unexpected answer: " + std::string(why));
}

std::string StringOr(const json& j, const char* name, std::string fallback = "") {
  auto it = j.find(name);
  return it != j.end() && it->is_string() ? it->get<std::string>() : fallback;
}

Status CheckBatch(std::string_view operation, size_t n, const std::vector<std::string>& ids) {
  if (n == 0 || n > static_cast<size_t>(kSqsMaxBatchEntries)) {
    return Status::InvalidArgument("SQS " + std::string(operation) + ": " + std::to_string(n) +
                                   " entries (1 to 10 allowed)");
  }
  std::set<std::string> seen;
  for (const auto& id : ids) {
    if (id.empty() || !seen.insert(id).second) {
      return Status::InvalidArgument("SQS " + std::string(operation) +
                                     ": batch entry ids must be distinct and non-empty");
    }
  }
  return Status::Ok();
}

Result<BatchResult> ReadBatchResult(std::string_view operation, const json& j) {
  BatchResult out;
  if (auto it = j.find("Successful"); it != j.end() && it->is_array()) {
    for (const auto& e : *it) {
      if (!e.is_object()) return BadAnswer(operation, "Successful entry not an object");
      std::string id = StringOr(e, "Id");
      if (e.contains("MessageId")) out.message_ids[id] = StringOr(e, "MessageId");
      out.successful.push_back(std::move(id));
    }
  }
  if (auto it = j.find("Failed"); it != j.end() && it->is_array()) {
    for (const auto& e : *it) {
      if (!e.is_object()) return BadAnswer(operation, "Failed entry not an object");
      BatchEntryFailure f;
      f.id = StringOr(e, "Id");
      f.code = StringOr(e, "Code");
      f.message = StringOr(e, "Message");
      auto sf = e.find("SenderFault");
      f.sender_fault = sf != e.end() && sf->is_boolean() && sf->get<bool>();
      out.failed.push_back(std::move(f));
    }
  }
  return out;
}

class HttpSqsClient : public SqsClient {
 public:
  HttpSqsClient(SqsConfig config, std::shared_ptr<CredentialsProvider> credentials, Clock& clock,
                std::shared_ptr<HttpTransport> transport)
      : config_(std::move(config)),
        credentials_(std::move(credentials)),
        clock_(clock),
        transport_(transport ? std::move(transport) : MakeCurlTransport(config_.transport)) {
    endpoint_ = config_.endpoint_url;
    if (endpoint_.empty()) endpoint_ = AwsEndpointUrl("sqs", config_.region, config_.variant);
    while (!endpoint_.empty() && endpoint_.back() == '/') endpoint_.pop_back();
    endpoint_ += "/";
  }

  Result<SendMessageResult> SendMessage(const SendMessageRequest& r) override {
    json req = {{"QueueUrl", r.queue_url}, {"MessageBody", r.body}};
    if (r.delay_seconds > 0) req["DelaySeconds"] = r.delay_seconds;
    if (!r.message_group_id.empty()) req["MessageGroupId"] = r.message_group_id;
    if (!r.message_deduplication_id.empty()) {
      req["MessageDeduplicationId"] = r.message_deduplication_id;
    }
    if (!r.message_attributes.empty()) {
      json attrs = json::object();
      for (const auto& [k, v] : r.message_attributes) {
        attrs[k] = {{"DataType", "String"}, {"StringValue", v}};
      }
      req["MessageAttributes"] = std::move(attrs);
    }
    THAW_ASSIGN_OR_RETURN(json j, Call("SendMessage", req, /*idempotent=*/false));
    SendMessageResult out;
    out.message_id = StringOr(j, "MessageId");
    out.md5_of_body = StringOr(j, "MD5OfMessageBody");
    if (out.message_id.empty()) return BadAnswer("SendMessage", "no MessageId");
    return out;
  }

  Result<BatchResult> SendMessageBatch(const std::string& queue_url,
                                       const std::vector<SendMessageBatchEntry>& entries) override {
    std::vector<std::string> ids;
    json list = json::array();
    for (const auto& e : entries) {
      ids.push_back(e.id);
      json item = {{"Id", e.id}, {"MessageBody", e.body}};
      if (e.delay_seconds > 0) item["DelaySeconds"] = e.delay_seconds;
      if (!e.message_group_id.empty()) item["MessageGroupId"] = e.message_group_id;
      if (!e.message_deduplication_id.empty()) {
        item["MessageDeduplicationId"] = e.message_deduplication_id;
      }
      list.push_back(std::move(item));
    }
    THAW_RETURN_IF_ERROR(CheckBatch("SendMessageBatch", entries.size(), ids));
    json req = {{"QueueUrl", queue_url}, {"Entries", std::move(list)}};
    THAW_ASSIGN_OR_RETURN(json j, Call("SendMessageBatch", req, /*idempotent=*/false));
    return ReadBatchResult("SendMessageBatch", j);
  }

  Result<std::vector<SqsMessage>> ReceiveMessage(const ReceiveMessageRequest& r) override {
    if (r.max_messages < 1 || r.max_messages > kSqsMaxBatchEntries) {
      return Status::InvalidArgument("SQS ReceiveMessage: max messages must be 1 to 10");
    }
    if (r.wait_time_seconds < 0 || r.wait_time_seconds > kSqsMaxWaitSeconds) {
      return Status::InvalidArgument("SQS ReceiveMessage: wait time must be 0 to 20 seconds");
    }
    json req = {{"QueueUrl", r.queue_url},
                {"MaxNumberOfMessages", r.max_messages},
                {"WaitTimeSeconds", r.wait_time_seconds}};
    if (r.visibility_timeout_seconds) req["VisibilityTimeout"] = *r.visibility_timeout_seconds;
    if (!r.attribute_names.empty()) {
      // MessageSystemAttributeNames is the current name; AttributeNames the deprecated one that
      // older servers still read. Both are accepted by SQS.
      req["MessageSystemAttributeNames"] = r.attribute_names;
      req["AttributeNames"] = r.attribute_names;
    }
    if (!r.message_attribute_names.empty()) {
      req["MessageAttributeNames"] = r.message_attribute_names;
    }
    THAW_ASSIGN_OR_RETURN(json j, Call("ReceiveMessage", req, /*idempotent=*/true, r.cancel));
    std::vector<SqsMessage> out;
    auto it = j.find("Messages");
    if (it == j.end() || it->is_null()) return out;
    if (!it->is_array()) return BadAnswer("ReceiveMessage", "Messages is not an array");
    for (const auto& m : *it) {
      if (!m.is_object()) return BadAnswer("ReceiveMessage", "message is not an object");
      SqsMessage msg;
      msg.message_id = StringOr(m, "MessageId");
      msg.receipt_handle = StringOr(m, "ReceiptHandle");
      msg.body = StringOr(m, "Body");
      msg.md5_of_body = StringOr(m, "MD5OfBody");
      if (msg.receipt_handle.empty()) return BadAnswer("ReceiveMessage", "no ReceiptHandle");
      if (auto a = m.find("Attributes"); a != m.end() && a->is_object()) {
        for (const auto& [k, v] : a->items()) {
          if (v.is_string()) msg.attributes[k] = v.get<std::string>();
        }
      }
      if (auto a = m.find("MessageAttributes"); a != m.end() && a->is_object()) {
        for (const auto& [k, v] : a->items()) {
          if (v.is_object()) msg.message_attributes[k] = StringOr(v, "StringValue");
        }
      }
      if (auto c = msg.attributes.find("ApproximateReceiveCount"); c != msg.attributes.end()) {
        msg.receive_count = static_cast<int>(ParseInt64(c->second).value_or(0));
      }
      out.push_back(std::move(msg));
    }
    return out;
  }

  Status DeleteMessage(const std::string& queue_url, const std::string& receipt_handle) override {
    json req = {{"QueueUrl", queue_url}, {"ReceiptHandle", receipt_handle}};
    return Call("DeleteMessage", req, /*idempotent=*/true).status();
  }

  Result<BatchResult> DeleteMessageBatch(const std::string& queue_url,
                                         const std::vector<ReceiptEntry>& entries) override {
    std::vector<std::string> ids;
    json list = json::array();
    for (const auto& e : entries) {
      ids.push_back(e.id);
      list.push_back({{"Id", e.id}, {"ReceiptHandle", e.receipt_handle}});
    }
    THAW_RETURN_IF_ERROR(CheckBatch("DeleteMessageBatch", entries.size(), ids));
    json req = {{"QueueUrl", queue_url}, {"Entries", std::move(list)}};
    THAW_ASSIGN_OR_RETURN(json j, Call("DeleteMessageBatch", req, /*idempotent=*/true));
    return ReadBatchResult("DeleteMessageBatch", j);
  }

  Status ChangeMessageVisibility(const std::string& queue_url, const std::string& receipt_handle,
                                 int visibility_timeout_seconds) override {
    json req = {{"QueueUrl", queue_url},
                {"ReceiptHandle", receipt_handle},
                {"VisibilityTimeout", visibility_timeout_seconds}};
    return Call("ChangeMessageVisibility", req, /*idempotent=*/true).status();
  }

  Result<BatchResult> ChangeMessageVisibilityBatch(
      const std::string& queue_url, const std::vector<VisibilityEntry>& entries) override {
    std::vector<std::string> ids;
    json list = json::array();
    for (const auto& e : entries) {
      ids.push_back(e.id);
      list.push_back({{"Id", e.id},
                      {"ReceiptHandle", e.receipt_handle},
                      {"VisibilityTimeout", e.visibility_timeout_seconds}});
    }
    THAW_RETURN_IF_ERROR(CheckBatch("ChangeMessageVisibilityBatch", entries.size(), ids));
    json req = {{"QueueUrl", queue_url}, {"Entries", std::move(list)}};
    THAW_ASSIGN_OR_RETURN(json j, Call("ChangeMessageVisibilityBatch", req, /*idempotent=*/true));
    return ReadBatchResult("ChangeMessageVisibilityBatch", j);
  }

  Result<std::string> GetQueueUrl(const std::string& name,
                                  const std::string& owner_account_id) override {
    json req = {{"QueueName", name}};
    if (!owner_account_id.empty()) req["QueueOwnerAWSAccountId"] = owner_account_id;
    THAW_ASSIGN_OR_RETURN(json j, Call("GetQueueUrl", req, /*idempotent=*/true));
    std::string url = StringOr(j, "QueueUrl");
    if (url.empty()) return BadAnswer("GetQueueUrl", "no QueueUrl");
    return url;
  }

  Result<std::string> CreateQueue(const std::string& name,
                                  const std::map<std::string, std::string>& attributes) override {
    json req = {{"QueueName", name}};
    if (!attributes.empty()) req["Attributes"] = attributes;
    // Creating an identical queue again returns its URL, so a retry is harmless.
    THAW_ASSIGN_OR_RETURN(json j, Call("CreateQueue", req, /*idempotent=*/true));
    std::string url = StringOr(j, "QueueUrl");
    if (url.empty()) return BadAnswer("CreateQueue", "no QueueUrl");
    return url;
  }

  Result<std::map<std::string, std::string>> GetQueueAttributes(
      const std::string& queue_url, const std::vector<std::string>& names) override {
    json req = {{"QueueUrl", queue_url}, {"AttributeNames", names}};
    THAW_ASSIGN_OR_RETURN(json j, Call("GetQueueAttributes", req, /*idempotent=*/true));
    std::map<std::string, std::string> out;
    if (auto a = j.find("Attributes"); a != j.end() && a->is_object()) {
      for (const auto& [k, v] : a->items()) {
        if (v.is_string()) out[k] = v.get<std::string>();
      }
    }
    return out;
  }

 private:
  // Sends one operation with retries; returns the parsed JSON answer (an object).
  Result<json> Call(std::string_view operation, const json& request, bool idempotent,
                    const std::atomic<bool>* cancel = nullptr) {
    // Replace, not throw, if a caller's string is not UTF-8 (receipt handles and message
    // bodies come from the queue).
    std::string body = request.dump(-1, ' ', false, json::error_handler_t::replace);
    std::string payload_hash = Sha256Hex(body);
    std::function<Result<json>()> attempt = [&]() -> Result<json> {
      HttpRequest req;
      req.method = "POST";
      req.url = endpoint_;
      req.headers.Set("Content-Type", "application/x-amz-json-1.0");
      req.headers.Set("X-Amz-Target", "AmazonSQS." + std::string(operation));
      req.body = HttpBody::FromString(body);
      req.cancel = cancel;
      THAW_RETURN_IF_ERROR(Sign(req, payload_hash));
      Result<HttpResponse> resp = transport_->Send(req);
      // Cancelled carries no network detail, so WithRetries gives up on it at once.
      if (!resp.ok() && resp.status().code() == StatusCode::kCancelled) return resp.status();
      if (!resp.ok()) return NetworkError(resp.status(), "SQS " + std::string(operation), "");
      if (resp->status >= 300) return SqsErrorFromResponse(*resp, operation);
      if (resp->body.empty()) return json::object();  // e.g. DeleteMessage
      json j = json::parse(resp->body, nullptr, /*allow_exceptions=*/false);
      if (!j.is_object()) return BadAnswer(operation, "body is not a JSON object");
      return j;
    };
    return WithRetries<json>(config_.retry, idempotent, clock_, &RetryJitter01, attempt);
  }

  Status Sign(HttpRequest& req, const std::string& payload_hash) {
    if (!credentials_) return Status::Ok();
    THAW_ASSIGN_OR_RETURN(Credentials creds, credentials_->Get());
    SigningParams params;
    params.region = config_.region;
    params.service = "sqs";
    params.time = clock_.Now();
    params.s3_dialect = false;
    params.payload_hash = payload_hash;
    params.add_content_sha256_header = false;
    return SignRequest(req, creds, params);
  }

  SqsConfig config_;
  std::shared_ptr<CredentialsProvider> credentials_;
  Clock& clock_;
  std::shared_ptr<HttpTransport> transport_;
  std::string endpoint_;  // with a trailing '/': the JSON protocol always posts to the root
};

}  // namespace

std::unique_ptr<SqsClient> MakeSqsClient(const SqsConfig& config,
                                         std::shared_ptr<CredentialsProvider> credentials,
                                         Clock& clock, std::shared_ptr<HttpTransport> transport) {
  return std::make_unique<HttpSqsClient>(config, std::move(credentials), clock,
                                         std::move(transport));
}

std::string SqsErrorCode(const Status& s) {
  const auto* d = GetS3Error(s);
  return d ? d->code : "";
}

std::string RegionFromQueueUrl(const std::string& queue_url) {
  std::string_view u = queue_url;
  size_t scheme = u.find("://");
  if (scheme == std::string_view::npos) return "";
  u.remove_prefix(scheme + 3);
  u = u.substr(0, u.find('/'));
  constexpr std::string_view kPrefix = "sqs.";
  if (!StartsWith(u, kPrefix)) return "";
  u.remove_prefix(kPrefix.size());
  size_t dot = u.find('.');
  if (dot == std::string_view::npos) return "";
  std::string_view rest = u.substr(dot);
  if (!StartsWith(rest, ".amazonaws.com")) return "";
  return std::string(u.substr(0, dot));
}

}  // namespace thaw::s3
