// Attributes: what the mount knows about one object or directory, kept small because a mount
// holds one per listed key and per inode the kernel knows (a million of each after `ls -l` of a
// big bucket). The strings S3 sends are stored compactly and given back unchanged:
//   - Etag: the common forms (`"<32 hex digits>"` and multipart `"<32 hex digits>-N"`, quoted
//     or not) as 16 binary bytes and a part count; anything else on the heap as sent.
//   - InternedName: a storage class or archive status as a 16-bit index into a process-wide
//     table of the values seen (AWS's are preloaded; other S3-compatible servers' values are
//     added as they come, up to kMaxInternedNames).
//
// Thread safety: values are plain data (copy them freely); InternedName's table is shared and
// locked internally.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "s3/types.h"

namespace thaw::fs {

class Etag {
 public:
  Etag() = default;
  Etag(std::string_view text) { Assign(text); }  // NOLINT: implicit, as a string would be
  Etag(const std::string& text) : Etag(std::string_view(text)) {}
  Etag(const char* text) : Etag(std::string_view(text)) {}
  Etag(const Etag& other) { CopyFrom(other); }
  Etag(Etag&& other) noexcept;
  Etag& operator=(const Etag& other);
  Etag& operator=(Etag&& other) noexcept;
  ~Etag() { Clear(); }

  bool empty() const { return form_ == Form::kEmpty; }
  // The ETag exactly as S3 sent it.
  std::string str() const;
  operator std::string() const { return str(); }  // NOLINT: reads like the string it was
  // Whether the value is held in the compact binary form (tests, memory accounting).
  bool compact() const { return form_ == Form::kMd5 || form_ == Form::kMd5Bare; }

  // Compares with strings too, through the implicit constructors.
  friend bool operator==(const Etag& a, const Etag& b);
  friend std::ostream& operator<<(std::ostream& os, const Etag& e) { return os << e.str(); }

 private:
  enum class Form : uint8_t { kEmpty, kMd5, kMd5Bare, kOther };
  void Assign(std::string_view text);
  void CopyFrom(const Etag& other);
  void Clear();

  union {
    uint8_t md5_[16];
    std::string* other_;  // owned; kOther only
  };
  uint32_t parts_ = 0;  // the multipart "-N" suffix; 0 when there is none
  Form form_ = Form::kEmpty;
};

class InternedName {
 public:
  // Values past this many distinct ones (a server inventing a storage class per key) all read
  // back as kOverflowName: the table must not grow without bound.
  static constexpr size_t kMaxInternedNames = 4096;
  static constexpr std::string_view kOverflowName = "UNKNOWN";

  InternedName() = default;                                      // ""
  InternedName(std::string_view text) : index_(Intern(text)) {}  // NOLINT: implicit
  InternedName(const std::string& text) : InternedName(std::string_view(text)) {}
  InternedName(const char* text) : InternedName(std::string_view(text)) {}

  // Valid for the life of the process.
  std::string_view view() const;
  operator std::string_view() const { return view(); }  // NOLINT
  std::string str() const { return std::string(view()); }
  bool empty() const { return index_ == 0; }

  // Compares with strings too, through the implicit constructors.
  friend bool operator==(InternedName a, InternedName b) { return a.index_ == b.index_; }
  friend std::ostream& operator<<(std::ostream& os, InternedName n) { return os << n.view(); }

 private:
  static uint16_t Intern(std::string_view text);
  uint16_t index_ = 0;  // 0 is ""
};

// A restore state (or "not known": an endpoint that leaves RestoreStatus out of listings) in
// 11 bytes instead of std::optional<s3::RestoreStatus>'s 32. Reads like that optional. Packed
// (byte-aligned) so that Attributes has no padding between its small fields.
class __attribute__((packed)) CompactRestore {
 public:
  CompactRestore() = default;
  CompactRestore(const std::optional<s3::RestoreStatus>& r) { *this = r; }  // NOLINT
  CompactRestore(const s3::RestoreStatus& r) { *this = std::optional<s3::RestoreStatus>(r); }
  CompactRestore& operator=(const std::optional<s3::RestoreStatus>& r);
  CompactRestore& operator=(const s3::RestoreStatus& r) {
    return *this = std::optional<s3::RestoreStatus>(r);
  }
  CompactRestore& operator=(std::nullopt_t) { return *this = std::optional<s3::RestoreStatus>(); }

  explicit operator bool() const { return known_; }
  bool has_value() const { return known_; }
  s3::RestoreStatus operator*() const;
  std::optional<s3::RestoreStatus> get() const;

 private:
  int64_t expiry_ticks_ = 0;
  uint8_t state_ = 0;
  bool known_ = false;
  bool has_expiry_ = false;
};

// A 32-bit value that may be absent in 5 bytes instead of std::optional's 8 (mode, uid, gid).
class __attribute__((packed)) OptionalU32 {
 public:
  OptionalU32() = default;
  OptionalU32(uint32_t v) : value_(v), set_(true) {}                                      // NOLINT
  OptionalU32(std::optional<uint32_t> v) : value_(v.value_or(0)), set_(v.has_value()) {}  // NOLINT
  OptionalU32& operator=(std::nullopt_t) { return *this = OptionalU32(); }
  explicit operator bool() const { return set_; }
  bool has_value() const { return set_; }
  uint32_t operator*() const { return value_; }
  uint32_t value_or(uint32_t fallback) const { return set_ ? value_ : fallback; }

 private:
  uint32_t value_ = 0;
  bool set_ = false;
};

// What the file system knows about one object or directory.
struct Attributes {
  uint64_t size = 0;
  Clock::TimePoint mtime{};
  // When S3 last told us these (a listing or a HEAD): trusted for the metadata TTL.
  Clock::TimePoint fetched_at{};
  // When a HEAD last confirmed these (files; the epoch when they come from a listing only).
  Clock::TimePoint headed_at{};
  Etag etag;
  // From the listing's RestoreStatus or a HEAD's x-amz-restore; unknown when the endpoint
  // did not say (a listing without x-amz-optional-object-attributes support, e.g. moto).
  CompactRestore restore;
  OptionalU32 mode;  // full st_mode from FSx's file-permissions, if present
  OptionalU32 uid;
  OptionalU32 gid;
  InternedName storage_class;   // "" for directories
  InternedName archive_status;  // x-amz-archive-status: only a HEAD shows it
  bool is_dir = false;
  // Created through this mount and not uploaded yet: S3 does not know it, no HEAD may ask.
  bool pending_upload = false;
};

}  // namespace thaw::fs
