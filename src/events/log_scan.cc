// Reading log files from a directory or an S3 prefix into the dispatcher, with a checkpoint
// (see log_scan.h).
#include "events/log_scan.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "common/s3_uri.h"
#include "common/strings.h"
#include "events/json_lines.h"
#include "events/message.h"

namespace thaw::events {
namespace {

namespace fs = std::filesystem;

struct LogFile {
  std::string name;  // path, or s3://bucket/key
  std::string key;   // S3 key (S3 sources only)
  uint64_t size = 0;
  std::string version;  // ETag, or the mtime in seconds
  Clock::TimePoint modified{};

  // Log file names come from whoever writes to the log bucket or directory: a name holding a
  // tab or a newline must not forge a field or a second line (marking another file done).
  // '%' is escaped too, so that the escaping is reversible; other names are written as they
  // are (checkpoints of earlier versions stay valid).
  std::string CheckpointLine() const {
    return EscapeField(name) + "\t" + std::to_string(size) + "\t" + EscapeField(version);
  }
  static std::string EscapeField(std::string_view s) {
    std::string out;
    for (char c : s) {
      if (c == '%' || c == '\t' || c == '\n' || c == '\r' || c == '\0') {
        out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
      } else {
        out += c;
      }
    }
    return out;
  }
};

Result<std::vector<LogFile>> ListLocal(const std::string& root) {
  std::vector<LogFile> files;
  std::error_code ec;
  auto add = [&](const fs::path& p) {
    std::error_code e;
    auto size = fs::file_size(p, e);
    auto mtime = fs::last_write_time(p, e);
    if (e) return;
    auto sys = std::chrono::file_clock::to_sys(mtime);
    LogFile f;
    f.name = p.string();
    f.size = size;
    f.modified = std::chrono::time_point_cast<Clock::Duration>(sys);
    f.version = std::to_string(
        std::chrono::duration_cast<std::chrono::seconds>(sys.time_since_epoch()).count());
    files.push_back(std::move(f));
  };
  if (fs::is_regular_file(root, ec)) {
    add(root);
    return files;
  }
  if (!fs::is_directory(root, ec)) return Status::NotFound("no such file or directory: " + root);
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->is_regular_file(ec)) add(it->path());
  }
  if (ec) return Status::Internal("listing " + root + ": " + ec.message());
  return files;
}

Result<std::vector<LogFile>> ListS3(const S3Uri& uri, s3::S3Client& client) {
  std::vector<LogFile> files;
  s3::ListObjectsRequest req;
  req.bucket = uri.bucket;
  req.prefix = uri.key;
  req.optional_attributes.clear();
  do {
    THAW_ASSIGN_OR_RETURN(s3::ListObjectsPage page, client.ListObjectsV2(req));
    for (const auto& o : page.objects) {
      if (EndsWith(o.key, "/")) continue;
      LogFile f;
      f.name = "s3://" + uri.bucket + "/" + o.key;
      f.key = o.key;
      f.size = o.size;
      f.version = o.etag;
      f.modified = o.last_modified;
      files.push_back(std::move(f));
    }
    req.continuation_token = page.next_continuation_token;
    if (!page.is_truncated) break;
  } while (!req.continuation_token.empty());
  return files;
}

Result<std::string> ReadLocal(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot open " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The checkpoint: lines already done, and an append handle.
class Checkpoint {
 public:
  Status Open(const std::string& path) {
    if (path.empty()) return Status::Ok();
    std::error_code ec;
    fs::create_directories(fs::path(path).parent_path(), ec);
    {
      std::ifstream in(path);
      std::string line;
      while (std::getline(in, line)) {
        if (!line.empty()) done_.insert(line);
      }
    }
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) return Status::Internal("cannot write checkpoint " + path);
    return Status::Ok();
  }
  ~Checkpoint() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool Done(const LogFile& f) const { return done_.count(f.CheckpointLine()) > 0; }
  Status Add(const LogFile& f) {
    if (fd_ < 0) return Status::Ok();
    std::string line = f.CheckpointLine() + "\n";
    // One write per line with O_APPEND: a crash leaves whole lines (or a torn last line that
    // matches nothing, so that file is simply read again).
    if (::write(fd_, line.data(), line.size()) != static_cast<ssize_t>(line.size()) ||
        ::fsync(fd_) != 0) {
      return Status::Internal("cannot write the checkpoint");
    }
    done_.insert(f.CheckpointLine());
    return Status::Ok();
  }

 private:
  std::set<std::string> done_;
  int fd_ = -1;
};

Result<Parsed> ParseAs(LogFormat format, std::string_view bytes, const Limits& limits) {
  switch (format) {
    case LogFormat::kCloudTrail:
      return ParseCloudTrailLog(bytes, limits);
    case LogFormat::kAccessLog:
      return ParseAccessLog(bytes, limits);
    case LogFormat::kAuto:
      break;
  }
  // eventbridge.jsonl and s3-notifications.jsonl (`thaw sim --events-dir`), exported archives.
  if (LooksLikeJsonLines(bytes)) return ParseJsonLines(bytes, limits);
  return ParseMessage(bytes, limits);
}

}  // namespace

Result<LogFormat> ParseLogFormat(std::string_view name) {
  if (name.empty() || name == "auto") return LogFormat::kAuto;
  if (name == "cloudtrail") return LogFormat::kCloudTrail;
  if (name == "access-log") return LogFormat::kAccessLog;
  return Status::InvalidArgument("--format '" + std::string(name) +
                                 "': expected cloudtrail, access-log or auto");
}

Result<ScanSummary> ScanLogs(const ScanOptions& options, s3::S3Client* client,
                             restore::Engine& engine) {
  const bool from_s3 = StartsWith(options.source, "s3://");
  S3Uri uri;
  std::vector<LogFile> files;
  if (from_s3) {
    if (client == nullptr) return Status::InvalidArgument("an S3 source needs an S3 client");
    THAW_ASSIGN_OR_RETURN(uri, ParseS3Uri(options.source));
    THAW_ASSIGN_OR_RETURN(files, ListS3(uri, *client));
  } else {
    THAW_ASSIGN_OR_RETURN(files, ListLocal(options.source));
  }
  // Oldest first, so that events are dispatched in roughly the order they happened.
  std::sort(files.begin(), files.end(), [](const LogFile& a, const LogFile& b) {
    return std::tie(a.modified, a.name) < std::tie(b.modified, b.name);
  });

  Checkpoint checkpoint;
  THAW_RETURN_IF_ERROR(checkpoint.Open(options.checkpoint_path));
  ScanSummary summary;
  for (const LogFile& f : files) {
    if (f.name.find("/CloudTrail-Digest/") != std::string::npos) continue;
    ++summary.files_seen;
    if (options.since && f.modified < *options.since) {
      ++summary.files_too_old;
      continue;
    }
    if (checkpoint.Done(f)) {
      ++summary.files_already_done;
      continue;
    }
    Result<std::string> bytes = Status::Internal("unread");
    if (from_s3) {
      s3::GetObjectRequest get;
      get.bucket = uri.bucket;
      get.key = f.key;
      auto got = client->GetObject(get);
      bytes =
          got.ok() ? Result<std::string>(std::move(got->body)) : Result<std::string>(got.status());
    } else {
      bytes = ReadLocal(f.name);
    }
    Result<Parsed> parsed =
        bytes.ok() ? ParseAs(options.format, *bytes, options.dispatch.limits) : bytes.status();
    if (!parsed.ok()) {
      ++summary.files_failed;
      if (summary.failures.size() < 100) {
        summary.failures.push_back(f.name + ": " + parsed.status().ToString());
      }
      spdlog::warn("scan: {}: {}", f.name, parsed.status().ToString());
      continue;
    }
    // A journal that cannot be written stops the scan: later files would fail the same way.
    THAW_ASSIGN_OR_RETURN(DispatchOutcome out, DispatchParsed(*parsed, engine, options.dispatch));
    ++summary.files_read;
    summary.records += out.records_seen;
    summary.restores_submitted += out.restores_submitted;
    summary.completions += out.completions;
    summary.ignored += out.ignored;
    if (!out.poison.empty()) {
      ++summary.files_malformed;
      if (summary.failures.size() < 100) summary.failures.push_back(f.name + ": " + out.poison);
      spdlog::warn("scan: {}: {}", f.name, out.poison);
    }
    if (options.on_dispatched) options.on_dispatched(out);
    summary.handles.insert(summary.handles.end(), out.handles.begin(), out.handles.end());
    THAW_RETURN_IF_ERROR(checkpoint.Add(f));
  }
  return summary;
}

}  // namespace thaw::events
