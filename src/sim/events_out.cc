// Event output of thaw sim: renderers for CloudTrail, EventBridge, S3 notifications and access
// logs, and the background writer (see events_out.h for the layout).
#include "sim/events_out.h"

#include <spdlog/spdlog.h>
#include <zlib.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/random_id.h"
#include "common/strings.h"
#include "common/time_format.h"

namespace thaw::sim {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string UniqueString() {
  return RandomChars(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789");
}

std::tm Utc(Clock::TimePoint t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(
      std::chrono::time_point_cast<std::chrono::system_clock::duration>(t));
  std::tm tm{};
  gmtime_r(&tt, &tm);
  return tm;
}

std::string Strftime(Clock::TimePoint t, const char* fmt) {
  std::tm tm = Utc(t);
  char buf[64];
  size_t n = std::strftime(buf, sizeof(buf), fmt, &tm);
  return std::string(buf, n);
}

std::string IsoSeconds(Clock::TimePoint t) {
  return FormatIso8601(t, false);
}

std::string Unquoted(const std::string& etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"')
    return etag.substr(1, etag.size() - 2);
  return etag;
}

// Form-style URL encoding of S3 notification keys: space as '+', '/' kept.
std::string FormEncodeKey(const std::string& key) {
  std::string out;
  bool first = true;
  for (const std::string& part : Split(key, ' ')) {
    if (!first) out += '+';
    first = false;
    out += UriEncode(part, true);
  }
  return out;
}

std::string UserArn(const ApiCallRecord& r, const EventsOptions& o) {
  return "arn:aws:iam::" + o.account_id + ":user/" + r.access_key;
}

std::string AccessLogOperation(const ApiCallRecord& r) {
  static const std::map<std::string, std::string> kOps = {
      {"GetObject", "REST.GET.OBJECT"},
      {"HeadObject", "REST.HEAD.OBJECT"},
      {"PutObject", "REST.PUT.OBJECT"},
      {"CopyObject", "REST.COPY.OBJECT"},
      {"DeleteObject", "REST.DELETE.OBJECT"},
      {"DeleteObjects", "REST.POST.MULTI_OBJECT_DELETE"},
      {"RestoreObject", "REST.POST.RESTORE"},
      {"CreateMultipartUpload", "REST.POST.UPLOADS"},
      {"UploadPart", "REST.PUT.PART"},
      {"UploadPartCopy", "REST.COPY.PART"},
      {"CompleteMultipartUpload", "REST.POST.UPLOAD"},
      {"AbortMultipartUpload", "REST.DELETE.UPLOAD"},
      {"ListParts", "REST.GET.UPLOAD"},
      {"ListMultipartUploads", "REST.GET.UPLOADS"},
      {"ListObjects", "REST.GET.BUCKET"},
      {"ListObjectsV2", "REST.GET.BUCKET"},
      {"CreateBucket", "REST.PUT.BUCKET"},
      {"HeadBucket", "REST.HEAD.BUCKET"},
      {"DeleteBucket", "REST.DELETE.BUCKET"},
      {"GetBucketLocation", "REST.GET.LOCATION"},
      {"GetBucketVersioning", "REST.GET.VERSIONING"},
      {"PutBucketLifecycleConfiguration", "REST.PUT.LIFECYCLE"},
      {"GetBucketLifecycleConfiguration", "REST.GET.LIFECYCLE"},
      {"DeleteBucketLifecycle", "REST.DELETE.LIFECYCLE"},
  };
  auto it = kOps.find(r.op);
  if (it != kOps.end()) return it->second;
  return "REST." + r.method + ".UNKNOWN";
}

// A quoted access-log field: S3 writes "-" for empty and never escapes.
std::string Quoted(const std::string& s) {
  return "\"" + (s.empty() ? std::string("-") : s) + "\"";
}

std::string Dash(const std::string& s) {
  return s.empty() ? "-" : s;
}

Status WriteFileAtomically(const fs::path& path, const std::string& data) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  fs::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    if (!out) return Status::Internal("write " + tmp.string());
  }
  fs::rename(tmp, path, ec);
  if (ec) return Status::Internal("rename " + tmp.string() + ": " + ec.message());
  return Status::Ok();
}

Status AppendLines(const fs::path& path, const std::vector<std::string>& lines) {
  if (lines.empty()) return Status::Ok();
  std::ofstream out(path, std::ios::binary | std::ios::app);
  for (const std::string& l : lines) out << l << '\n';
  out.flush();
  if (!out) return Status::Internal("append " + path.string());
  return Status::Ok();
}

}  // namespace

bool IsCloudTrailDataEvent(const std::string& op) {
  return op == "GetObject" || op == "HeadObject" || op == "RestoreObject" || op == "PutObject";
}

Result<std::string> Gzip(const std::string& data) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return Status::Internal("deflateInit2");
  std::string out(deflateBound(&zs, data.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return Status::Internal("deflate failed");
  return out;
}

std::string RenderCloudTrailRecord(const ApiCallRecord& r, const EventsOptions& o) {
  json identity = {{"type", "IAMUser"},           {"principalId", "AIDA" + std::string(16, 'X')},
                   {"arn", UserArn(r, o)},        {"accountId", o.account_id},
                   {"accessKeyId", r.access_key}, {"userName", r.access_key}};
  if (r.access_key.empty())
    identity = {{"type", "AWSAccount"}, {"principalId", ""}, {"accountId", "anonymous"}};
  json params = {{"bucketName", r.bucket}, {"Host", r.host}, {"key", r.key}};
  if (r.op == "RestoreObject") params["restore"] = "";
  if (!r.version_id.empty()) params["versionId"] = r.version_id;
  json rec = {
      {"eventVersion", "1.09"},
      {"userIdentity", identity},
      {"eventTime", IsoSeconds(r.time)},
      {"eventSource", "s3.amazonaws.com"},
      {"eventName", r.op},
      {"awsRegion", o.region},
      {"sourceIPAddress", r.remote_ip},
      {"userAgent", "[" + r.user_agent + "]"},
  };
  if (!r.error_code.empty()) {
    rec["errorCode"] = r.error_code;
    rec["errorMessage"] = r.error_message;
  }
  rec["requestParameters"] = params;
  rec["responseElements"] = nullptr;
  rec["additionalEventData"] = {
      {"SignatureVersion", "SigV4"},
      {"AuthenticationMethod", r.presigned ? "QueryString" : "AuthHeader"},
      {"bytesTransferredIn", r.bytes_received},
      {"bytesTransferredOut", r.bytes_sent},
      {"x-amz-id-2", r.request_id}};
  rec["requestID"] = r.request_id;
  rec["eventID"] = RandomUuid();
  rec["readOnly"] = r.op == "GetObject" || r.op == "HeadObject";
  rec["resources"] =
      json::array({{{"type", "AWS::S3::Object"}, {"ARN", "arn:aws:s3:::" + r.bucket + "/" + r.key}},
                   {{"accountId", o.account_id},
                    {"type", "AWS::S3::Bucket"},
                    {"ARN", "arn:aws:s3:::" + r.bucket}}});
  rec["eventType"] = "AwsApiCall";
  rec["managementEvent"] = false;
  rec["recipientAccountId"] = o.account_id;
  rec["eventCategory"] = "Data";
  return rec.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string RenderEventBridgeApiCall(const ApiCallRecord& r, const EventsOptions& o) {
  return WrapEventBridgeApiCall(RenderCloudTrailRecord(r, o), r, o);
}

std::string WrapEventBridgeApiCall(const std::string& record, const ApiCallRecord& r,
                                   const EventsOptions& o) {
  json e = {{"version", "0"},
            {"id", RandomUuid()},
            {"detail-type", "AWS API Call via CloudTrail"},
            {"source", "aws.s3"},
            {"account", o.account_id},
            {"time", IsoSeconds(r.time)},
            {"region", o.region},
            {"resources", json::array()},
            {"detail", json::parse(record)}};
  return e.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string RenderAccessLogLine(const ApiCallRecord& r, const EventsOptions& o) {
  std::string requester = r.access_key.empty() ? "-" : UserArn(r, o);
  std::string line;
  line.reserve(512);
  line += std::string(64, 'a') + " ";  // bucket owner canonical id
  line += r.bucket + " ";
  line += "[" + Strftime(r.time, "%d/%b/%Y:%H:%M:%S +0000") + "] ";
  line += Dash(r.remote_ip) + " " + requester + " " + r.request_id + " ";
  line += AccessLogOperation(r) + " ";
  line += (r.key.empty() ? "-" : UriEncode(r.key, true)) + " ";
  line += Quoted(r.method + " " + r.target + " HTTP/1.1") + " ";
  line += std::to_string(r.status) + " " + Dash(r.error_code) + " ";
  line += (r.bytes_sent ? std::to_string(r.bytes_sent) : "-") + " ";
  line += (r.object_size ? std::to_string(*r.object_size) : "-") + " ";
  line += std::to_string(r.total_ms) + " " + std::to_string(r.total_ms) + " ";
  // Referer, User-Agent, Version Id (of the request's ?versionId=), Host Id.
  line +=
      Quoted("") + " " + Quoted(r.user_agent) + " " + Dash(r.version_id) + " " + r.request_id + " ";
  line += (r.access_key.empty() ? "-" : "SigV4") + std::string(" - ");
  line += (r.access_key.empty() ? "-" : (r.presigned ? "QueryString" : "AuthHeader"));
  line += " " + Dash(r.host) + " - - -";
  return line;
}

namespace {

const char* RestoreEventName(RestoreEventRecord::Kind k) {
  switch (k) {
    case RestoreEventRecord::Kind::kPost:
      return "ObjectRestore:Post";
    case RestoreEventRecord::Kind::kCompleted:
      return "ObjectRestore:Completed";
    case RestoreEventRecord::Kind::kDelete:
      return "ObjectRestore:Delete";
  }
  return "";
}

std::string Sequencer(Clock::TimePoint t) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%016llX", static_cast<unsigned long long>(ns));
  return buf;
}

}  // namespace

std::string RenderS3Notification(const RestoreEventRecord& e, const EventsOptions& o) {
  json rec = {
      {"eventVersion", "2.1"},
      {"eventSource", "aws:s3"},
      {"awsRegion", o.region},
      {"eventTime", FormatIso8601(e.time, true)},
      {"eventName", RestoreEventName(e.kind)},
      {"userIdentity", {{"principalId", "AWS:thaw-sim"}}},
      {"requestParameters", {{"sourceIPAddress", "s3.amazonaws.com"}}},
      {"responseElements", {{"x-amz-request-id", e.request_id}, {"x-amz-id-2", e.request_id}}},
      {"s3",
       {{"s3SchemaVersion", "1.0"},
        {"configurationId", "thaw-sim"},
        {"bucket",
         {{"name", e.bucket},
          {"ownerIdentity", {{"principalId", "A3THAWSIM"}}},
          {"arn", "arn:aws:s3:::" + e.bucket}}},
        {"object",
         {{"key", FormEncodeKey(e.key)},
          {"size", e.size},
          {"eTag", Unquoted(e.etag)},
          {"sequencer", Sequencer(e.time)}}}}}};
  if (!e.version_id.empty()) rec["s3"]["object"]["versionId"] = e.version_id;
  if (e.kind != RestoreEventRecord::Kind::kPost) {
    json data = {{"lifecycleRestoreStorageClass", e.storage_class}};
    if (e.expiry) data["lifecycleRestorationExpiryTime"] = FormatIso8601(*e.expiry, true);
    rec["glacierEventData"] = {{"restoreEventData", data}};
  }
  return json{{"Records", json::array({rec})}}.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string RenderEventBridgeRestore(const RestoreEventRecord& e, const EventsOptions& o) {
  const char* type = e.kind == RestoreEventRecord::Kind::kPost        ? "Object Restore Initiated"
                     : e.kind == RestoreEventRecord::Kind::kCompleted ? "Object Restore Completed"
                                                                      : "Object Restore Expired";
  json detail = {{"version", "0"},
                 {"bucket", {{"name", e.bucket}}},
                 {"object",
                  {{"key", e.key},
                   {"size", e.size},
                   {"etag", Unquoted(e.etag)},
                   {"sequencer", Sequencer(e.time)}}},
                 {"request-id", e.request_id},
                 {"requester", "s3.amazonaws.com"},
                 {"source-storage-class", e.storage_class}};
  if (!e.version_id.empty()) detail["object"]["version-id"] = e.version_id;
  if (e.expiry) detail["restore-expiry-time"] = IsoSeconds(*e.expiry);
  json ev = {{"version", "0"},          {"id", RandomUuid()},
             {"detail-type", type},     {"source", "aws.s3"},
             {"account", o.account_id}, {"time", IsoSeconds(e.time)},
             {"region", o.region},      {"resources", json::array({"arn:aws:s3:::" + e.bucket})},
             {"detail", detail}};
  return ev.dump(-1, ' ', false, json::error_handler_t::replace);
}

EventWriter::EventWriter(EventsOptions options) : options_(std::move(options)) {}

Result<std::unique_ptr<EventWriter>> EventWriter::Start(EventsOptions options) {
  if (!options.dir.empty()) {
    std::error_code ec;
    fs::create_directories(options.dir, ec);
    if (ec) return Status::InvalidArgument("--events-dir " + options.dir + ": " + ec.message());
  }
  std::unique_ptr<EventWriter> w(new EventWriter(std::move(options)));
  w->thread_ = std::thread([p = w.get()] { p->Run(); });
  return w;
}

EventWriter::~EventWriter() {
  Stop();
}

void EventWriter::Push(std::variant<ApiCallRecord, RestoreEventRecord> item) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_ || queue_.size() >= options_.queue_limit) {
      ++dropped_;
      return;
    }
    queue_.push_back(std::move(item));
  }
  cv_.notify_one();
}

void EventWriter::Post(ApiCallRecord r) {
  Push(std::move(r));
}
void EventWriter::Post(RestoreEventRecord e) {
  Push(std::move(e));
}

uint64_t EventWriter::dropped() const {
  std::lock_guard<std::mutex> lock(const_cast<std::mutex&>(mu_));
  return dropped_;
}

void EventWriter::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_ && !thread_.joinable()) return;
    stop_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void EventWriter::Run() {
  auto next_cut = std::chrono::steady_clock::now() + options_.flush_interval;
  for (;;) {
    std::vector<std::variant<ApiCallRecord, RestoreEventRecord>> batch;
    bool stopping;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_until(lock, next_cut, [&] { return stop_ || !queue_.empty(); });
      while (!queue_.empty() && batch.size() < 1000) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      stopping = stop_ && queue_.empty();
    }
    Write(batch);
    if (stopping || std::chrono::steady_clock::now() >= next_cut) {
      Cut();
      next_cut = std::chrono::steady_clock::now() + options_.flush_interval;
    }
    if (stopping) return;
  }
}

void EventWriter::Write(std::vector<std::variant<ApiCallRecord, RestoreEventRecord>>& batch) {
  if (batch.empty()) return;
  std::vector<std::string> eventbridge, notifications;
  for (auto& item : batch) {
    if (auto* r = std::get_if<ApiCallRecord>(&item)) {
      if (!r->bucket.empty()) access_log_ += RenderAccessLogLine(*r, options_) + "\n";
      if (IsCloudTrailDataEvent(r->op) && !r->bucket.empty()) {
        if (cloudtrail_.empty()) cloudtrail_time_ = r->time;
        // One record, one eventID: the log file and EventBridge carry the same event.
        cloudtrail_.push_back(RenderCloudTrailRecord(*r, options_));
        eventbridge.push_back(WrapEventBridgeApiCall(cloudtrail_.back(), *r, options_));
      }
    } else {
      auto& e = std::get<RestoreEventRecord>(item);
      notifications.push_back(RenderS3Notification(e, options_));
      eventbridge.push_back(RenderEventBridgeRestore(e, options_));
    }
  }
  if (!options_.dir.empty()) {
    fs::path dir(options_.dir);
    Status s = AppendLines(dir / "eventbridge.jsonl", eventbridge);
    if (s.ok()) s = AppendLines(dir / "s3-notifications.jsonl", notifications);
    if (!s.ok()) spdlog::warn("events: {}", s.ToString());
  }
  if (options_.sender) {
    std::vector<std::string> bodies = std::move(eventbridge);
    bodies.insert(bodies.end(), notifications.begin(), notifications.end());
    for (size_t i = 0; i < bodies.size(); i += 10) {  // SendMessageBatch takes 10 at most
      std::vector<std::string> chunk(
          bodies.begin() + static_cast<std::ptrdiff_t>(i),
          bodies.begin() + static_cast<std::ptrdiff_t>(std::min(bodies.size(), i + 10)));
      Status s = options_.sender(chunk);
      if (!s.ok()) spdlog::warn("events: sending to SQS: {}", s.ToString());
    }
  }
}

void EventWriter::Cut() {
  if (options_.dir.empty()) {
    cloudtrail_.clear();
    access_log_.clear();
    return;
  }
  fs::path dir(options_.dir);
  if (!cloudtrail_.empty()) {
    std::string body = "{\"Records\":[";
    for (size_t i = 0; i < cloudtrail_.size(); ++i) body += (i ? "," : "") + cloudtrail_[i];
    body += "]}";
    Clock::TimePoint t = cloudtrail_time_;
    fs::path path = dir / "AWSLogs" / options_.account_id / "CloudTrail" / options_.region /
                    Strftime(t, "%Y/%m/%d") /
                    (options_.account_id + "_CloudTrail_" + options_.region + "_" +
                     Strftime(t, "%Y%m%dT%H%MZ") + "_" + UniqueString() + ".json.gz");
    auto gz = Gzip(body);
    Status s = gz.ok() ? WriteFileAtomically(path, *gz) : gz.status();
    if (!s.ok()) spdlog::warn("events: CloudTrail file: {}", s.ToString());
    cloudtrail_.clear();
  }
  if (!access_log_.empty()) {
    fs::path path = dir / "access-logs" /
                    (Strftime(Clock::Real().Now(), "%Y-%m-%d-%H-%M-%S-") + UniqueString());
    Status s = WriteFileAtomically(path, access_log_);
    if (!s.ok()) spdlog::warn("events: access log: {}", s.ToString());
    access_log_.clear();
  }
}

}  // namespace thaw::sim
