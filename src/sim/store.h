// Store: the sim's persistent state on local disk. Object data lives as files under
// <data-dir>/objects (named by a random id, never by key, so any key is safe); metadata
// (buckets, objects with their archive/restore state, multipart uploads and parts, the sim
// clock, the STS endpoint's sessions) lives in SQLite in WAL mode (<data-dir>/meta.sqlite), so a
// restarted sim has every object and every restore state. Writes go file-first: a new object's file
// is renamed into place before its row is committed; the file it replaces is removed after the
// commit.
//
// Thread safety: all methods may be called from any thread; one mutex serializes SQLite (the
// connection is opened without SQLite's own mutex, and its prepared statements are cached).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "sim/archive.h"
#include "sim/sts_sessions.h"

struct sqlite3;

namespace thaw::sim {

class StmtCache;  // store.cc

struct BucketRecord {
  std::string name;
  std::string region;
  Clock::TimePoint created{};
};

struct ObjectRecord {
  std::string bucket;
  std::string key;
  std::string file;  // id under objects/
  uint64_t size = 0;
  std::string etag;  // with quotes
  Clock::TimePoint last_modified{};
  std::string content_type;
  std::map<std::string, std::string> user_metadata;  // lower-case names without x-amz-meta-
  // Other stored response headers: Cache-Control, Content-Disposition, Content-Encoding,
  // Content-Language, Expires, x-amz-checksum-<algo>.
  std::map<std::string, std::string> headers;
  ArchiveState archive;
  // Versioning: "" for an object put while the bucket never had versioning (S3's "null"
  // version, as is "null" itself, written while versioning was suspended); a delete marker has
  // no data. `seq` orders the versions of a key (higher is newer); `latest`, set by
  // ListVersions, marks the current version.
  std::string version_id;
  int64_t seq = 0;
  bool delete_marker = false;
  bool latest = false;      // ListVersions: the current version (or the latest delete marker)
  bool noncurrent = false;  // read from the noncurrent versions (lifecycle's rules skip it)
  // ListNoncurrentVersions: when the version became noncurrent (its successor was written).
  Clock::TimePoint noncurrent_since{};
};

// S3 calls an object without a version id the "null" version.
inline std::string VersionIdOrNull(const std::string& id) {
  return id.empty() ? "null" : id;
}

// What DeleteObject did: removed a version (its id), or added a delete marker (its id).
struct DeleteOutcome {
  bool delete_marker = false;  // the version removed or added is a delete marker
  std::string version_id;      // "" when the bucket never had versioning
};

struct UploadRecord {
  std::string upload_id;
  std::string bucket;
  std::string key;
  Clock::TimePoint initiated{};
  ObjectRecord object;  // the metadata the completed object will get (no file/size/etag)
};

struct PartRecord {
  int number = 0;
  std::string file;  // path of the part's file
  uint64_t size = 0;
  std::string etag;  // with quotes
  Clock::TimePoint last_modified{};
};

class Store {
 public:
  // Opens (creating when needed) the store in `dir`.
  static Result<std::unique_ptr<Store>> Open(const std::string& dir);
  ~Store();

  // A fresh path under <dir>/tmp for an incoming body.
  std::string NewTempPath();
  std::string ObjectPath(const std::string& file) const;
  // <dir>/uploads/<id>, for ids of the sim's own format only (InvalidArgument otherwise).
  Result<std::string> UploadDir(const std::string& upload_id) const;

  Status CreateBucket(const BucketRecord& bucket);          // AlreadyExists
  Result<BucketRecord> GetBucket(const std::string& name);  // NotFound
  Result<std::vector<BucketRecord>> ListBuckets();
  Status DeleteBucket(const std::string& name);  // NotFound; FailedPrecondition when not empty

  // The current version (NotFound when there is none, or when it is a delete marker).
  Result<ObjectRecord> GetObject(const std::string& bucket, const std::string& key);
  // One version by id ("null" for the null version), delete markers included; NotFound.
  Result<ObjectRecord> GetObjectVersion(const std::string& bucket, const std::string& key,
                                        const std::string& version_id);
  // The newest version of a key when it is a delete marker (GET then says so), else NotFound.
  Result<ObjectRecord> GetLatestDeleteMarker(const std::string& bucket, const std::string& key);
  // Moves `temp_path` into place as rec.file (assigned here) and commits rec as the current
  // version. With versioning Enabled the bucket keeps the previous version (noncurrent) and rec
  // gets a new version id; Suspended: rec is the "null" version, replacing an older "null";
  // never enabled: rec replaces the object.
  Status PutObject(ObjectRecord& rec, const std::string& temp_path);
  // Updates the archive state (storage class, restore) of an existing object; a no-op when the
  // object was replaced (another data file) or deleted meanwhile.
  Status UpdateObject(const ObjectRecord& rec);
  // Copies the data file of `source` to a new file for `rec` and commits rec.
  Status CopyObject(const ObjectRecord& source, ObjectRecord& rec);
  // Without a version id: removes the object, or with versioning Enabled/Suspended makes a
  // delete marker the current version. With one: removes that version for good (the next
  // newer one becomes current). OK when absent.
  // `now` dates a new delete marker.
  Status DeleteObject(const std::string& bucket, const std::string& key,
                      const std::string* version_id = nullptr, DeleteOutcome* outcome = nullptr,
                      Clock::TimePoint now = {});
  // Every version and delete marker with key >= prefix, in key order and newest first, after
  // (key_marker, version_marker) as ListObjectVersions pages them, at most `limit`; `latest`
  // is set.
  Result<std::vector<ObjectRecord>> ListVersions(const std::string& bucket,
                                                 const std::string& prefix,
                                                 const std::string& key_marker,
                                                 const std::string& version_marker, int limit);
  // The noncurrent versions (no delete markers) of a bucket, with noncurrent_since.
  Result<std::vector<ObjectRecord>> ListNoncurrentVersions(const std::string& bucket);
  // Noncurrent versions with a restore running or a restored copy.
  Result<std::vector<ObjectRecord>> ListRestoringVersions();

  // Bucket versioning status: "" (never set), "Enabled" or "Suspended".
  Status SetVersioning(const std::string& bucket, const std::string& status);
  Result<std::string> GetVersioning(const std::string& bucket);
  // Keys > after and starting with prefix, in key order, at most `limit`.
  Result<std::vector<ObjectRecord>> ListObjects(const std::string& bucket,
                                                const std::string& prefix, const std::string& after,
                                                int limit);

  // (bucket, key) of every object with a restore running or a restored copy.
  Result<std::vector<std::pair<std::string, std::string>>> ListRestoring();

  Status CreateUpload(const UploadRecord& upload);
  Result<UploadRecord> GetUpload(const std::string& upload_id);  // NotFound
  Result<std::vector<UploadRecord>> ListUploads(const std::string& bucket);
  // Moves temp_path into place as the part's file and records it (replacing an older part).
  Status PutPart(const std::string& upload_id, PartRecord& part, const std::string& temp_path);
  Result<std::vector<PartRecord>> ListParts(const std::string& upload_id);
  // Removes the upload, its parts and their files.
  Status DeleteUpload(const std::string& upload_id);

  // Bucket lifecycle configurations (the XML as put). GetLifecycle: NotFound when none.
  Status PutLifecycle(const std::string& bucket, const std::string& xml);
  Result<std::string> GetLifecycle(const std::string& bucket);
  Status DeleteLifecycle(const std::string& bucket);
  Result<std::map<std::string, std::string>> ListLifecycles();  // bucket -> XML

  // The sim clock persisted by the last run (nullopt for a new store) and its update.
  std::optional<Clock::TimePoint> LoadSimTime();
  Status SaveSimTime(Clock::TimePoint t);

  // The STS endpoint's issued sessions (see sts_sessions.h), so that credentials a client holds
  // survive a restart of the sim as AWS's survive anything on AWS's side.
  Status PutStsSession(const StsSession& session);
  Result<std::vector<StsSession>> ListStsSessions();
  Status DeleteStsSessionsExpiredBefore(Clock::TimePoint t);

 private:
  Store(std::string dir, sqlite3* db);
  Status Exec(const std::string& sql);
  Status Migrate();
  Status WriteObjectRow(const ObjectRecord& rec);
  // Versioning helpers; the caller holds mu_. Files to remove after commit go to *garbage.
  std::string VersioningLocked(const std::string& bucket);
  // `now`: when the current version stops being current (lifecycle's NoncurrentDays count
  // from there).
  Status ArchiveCurrentLocked(const std::string& bucket, const std::string& key,
                              Clock::TimePoint now);
  Status DropNullVersionLocked(const std::string& bucket, const std::string& key,
                               std::vector<std::string>* garbage);
  Status WriteVersionRow(const ObjectRecord& rec);
  Status DeleteCurrentLocked(const std::string& bucket, const std::string& key,
                             Clock::TimePoint now, DeleteOutcome* done,
                             std::vector<std::string>* garbage);
  Status DeleteVersionLocked(const std::string& bucket, const std::string& key,
                             const std::string& version_id, DeleteOutcome* done,
                             std::vector<std::string>* garbage);
  std::string NewFileId();

  const std::string dir_;
  std::mutex mu_;  // guards db_, stmts_, next_seq_ and rng state in NewFileId
  sqlite3* db_;
  int64_t next_seq_ = 1;
  std::unique_ptr<StmtCache> stmts_;
};

}  // namespace thaw::sim
