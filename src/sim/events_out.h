// What `thaw sim --events-dir DIR` / `--events-sqs URL` emits: the records AWS would produce for
// the requests the sim serves and the restores it runs, in AWS's formats (facts doc), so that
// thaw's event-driven path runs locally without AWS:
//   DIR/AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/
//       <account>_CloudTrail_<region>_YYYYMMDDTHHmmZ_<16 chars>.json.gz
//                              CloudTrail log files {"Records":[...]}: data events for
//                              GetObject (failures too, errorCode InvalidObjectState), HeadObject,
//                              RestoreObject, PutObject
//   DIR/eventbridge.jsonl      EventBridge events, one per line: "AWS API Call via CloudTrail"
//                              (the same records) and "Object Restore Initiated/Completed/Expired"
//   DIR/s3-notifications.jsonl S3 event notifications {"Records":[...]}, one message per line:
//                              s3:ObjectRestore:Post / Completed / Delete
//   DIR/access-logs/YYYY-mm-DD-HH-MM-SS-<16 chars>
//                              S3 server access log lines (every request on a bucket)
//   SQS (--events-sqs)         the EventBridge events and the S3 notifications as messages
//
// Requests never wait for output: records go into a bounded queue (dropped and counted when it
// is full) that one writer thread drains; log files are cut every `flush_interval` and at Stop().
//
// Thread safety: Post* may be called from any thread; Stop() once, from the owner.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace thaw::sim {

// One served request, as the access log and CloudTrail see it.
struct ApiCallRecord {
  std::string op;  // S3 operation name (GetObject...)
  std::string bucket;
  std::string key;
  std::string method;
  std::string target;  // request URI as sent
  std::string host;
  std::string user_agent;
  std::string remote_ip;
  std::string access_key;  // "" when anonymous
  std::string version_id;  // the request's ?versionId= ("" when none)
  bool presigned = false;
  int status = 200;
  std::string error_code;  // "" on success
  std::string error_message;
  std::string request_id;
  uint64_t bytes_sent = 0;
  uint64_t bytes_received = 0;
  std::optional<uint64_t> object_size;
  int64_t total_ms = 0;
  Clock::TimePoint time{};  // sim time
};

// A restore state change of one object.
struct RestoreEventRecord {
  enum class Kind { kPost, kCompleted, kDelete };
  Kind kind = Kind::kPost;
  std::string bucket;
  std::string key;
  uint64_t size = 0;
  std::string etag;  // with quotes
  std::string storage_class;
  std::string version_id;                  // "" for an object of an unversioned bucket
  std::optional<Clock::TimePoint> expiry;  // Completed
  std::string request_id;
  Clock::TimePoint time{};  // sim time
};

// Sends message bodies to a queue (SQS SendMessageBatch); injected so the writer stays testable.
using MessageSender = std::function<Status(const std::vector<std::string>& bodies)>;

struct EventsOptions {
  std::string dir;  // "" for no files
  std::string account_id = "123456789012";
  std::string region = "us-east-1";
  std::chrono::milliseconds flush_interval{1000};
  size_t queue_limit = 100000;
  MessageSender sender;  // null for no queue
};

// Pure renderers (tests and the writer use them).
std::string RenderCloudTrailRecord(const ApiCallRecord& r, const EventsOptions& o);  // JSON object
std::string RenderEventBridgeApiCall(const ApiCallRecord& r, const EventsOptions& o);
// The EventBridge event carrying an already rendered CloudTrail `record` of `r`.
std::string WrapEventBridgeApiCall(const std::string& record, const ApiCallRecord& r,
                                   const EventsOptions& o);
std::string RenderAccessLogLine(const ApiCallRecord& r, const EventsOptions& o);
std::string RenderS3Notification(const RestoreEventRecord& e, const EventsOptions& o);
std::string RenderEventBridgeRestore(const RestoreEventRecord& e, const EventsOptions& o);
// CloudTrail records S3 data events for these operations.
bool IsCloudTrailDataEvent(const std::string& op);
// gzip of `data` (one member).
Result<std::string> Gzip(const std::string& data);

class EventWriter {
 public:
  // Creates the directories and starts the writer thread.
  static Result<std::unique_ptr<EventWriter>> Start(EventsOptions options);
  ~EventWriter();

  void Post(ApiCallRecord r);
  void Post(RestoreEventRecord e);
  // Writes everything queued, cuts the open log files and stops the thread.
  void Stop();
  uint64_t dropped() const;

 private:
  explicit EventWriter(EventsOptions options);
  void Run();
  void Push(std::variant<ApiCallRecord, RestoreEventRecord> item);
  void Write(std::vector<std::variant<ApiCallRecord, RestoreEventRecord>>& batch);
  void Cut();  // writes the pending CloudTrail and access-log files

  EventsOptions options_;
  std::mutex mu_;  // guards queue_, stop_, dropped_
  std::condition_variable cv_;
  std::deque<std::variant<ApiCallRecord, RestoreEventRecord>> queue_;
  bool stop_ = false;
  uint64_t dropped_ = 0;
  // Writer thread only:
  std::vector<std::string> cloudtrail_;  // records of the open CloudTrail file
  Clock::TimePoint cloudtrail_time_{};   // time of its first record
  std::string access_log_;               // lines of the open access-log file
  std::thread thread_;
};

}  // namespace thaw::sim
