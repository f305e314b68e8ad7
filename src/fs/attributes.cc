// Compact storage of ETags, storage classes and restore states (see attributes.h).
#include "fs/attributes.h"

#include <spdlog/spdlog.h>

#include <cstring>
#include <deque>
#include <mutex>
#include <unordered_map>

namespace thaw::fs {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;  // upper case is kept as sent (kOther): the round trip must be exact
}

// "N" of a multipart suffix: decimal, no sign, no leading zero, fits in 32 bits, not 0.
std::optional<uint32_t> PartCount(std::string_view digits) {
  if (digits.empty() || digits.size() > 9 || digits[0] == '0') return std::nullopt;
  uint32_t n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<uint32_t>(c - '0');
  }
  return n;
}

}  // namespace

void Etag::Assign(std::string_view text) {
  form_ = Form::kEmpty;
  parts_ = 0;
  if (text.empty()) return;
  std::string_view body = text;
  bool quoted = body.size() >= 2 && body.front() == '"' && body.back() == '"';
  if (quoted) body = body.substr(1, body.size() - 2);
  std::optional<uint32_t> parts = 0;
  if (body.size() > 33 && body[32] == '-') {
    parts = PartCount(body.substr(33));
  } else if (body.size() != 32) {
    parts.reset();
  }
  if (parts) {
    uint8_t bytes[16];
    for (size_t i = 0; i < 16 && parts; ++i) {
      int hi = HexValue(body[2 * i]), lo = HexValue(body[2 * i + 1]);
      if (hi < 0 || lo < 0) parts.reset();
      bytes[i] = static_cast<uint8_t>(hi * 16 + lo);
    }
    if (parts) {
      std::memcpy(md5_, bytes, sizeof(md5_));
      parts_ = *parts;
      form_ = quoted ? Form::kMd5 : Form::kMd5Bare;
      return;
    }
  }
  other_ = new std::string(text);
  form_ = Form::kOther;
}

std::string Etag::str() const {
  static constexpr char kHex[] = "0123456789abcdef";
  switch (form_) {
    case Form::kEmpty:
      return "";
    case Form::kOther:
      return *other_;
    case Form::kMd5:
    case Form::kMd5Bare:
      break;
  }
  std::string out;
  out.reserve(46);
  if (form_ == Form::kMd5) out += '"';
  for (uint8_t b : md5_) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  if (parts_ != 0) out += "-" + std::to_string(parts_);
  if (form_ == Form::kMd5) out += '"';
  return out;
}

void Etag::CopyFrom(const Etag& other) {
  form_ = other.form_;
  parts_ = other.parts_;
  if (form_ == Form::kOther) {
    other_ = new std::string(*other.other_);
  } else {
    std::memcpy(md5_, other.md5_, sizeof(md5_));
  }
}

void Etag::Clear() {
  if (form_ == Form::kOther) delete other_;
  form_ = Form::kEmpty;
  parts_ = 0;
}

Etag::Etag(Etag&& other) noexcept {
  std::memcpy(md5_, other.md5_, sizeof(md5_));  // the pointer too, when kOther
  parts_ = other.parts_;
  form_ = other.form_;
  other.form_ = Form::kEmpty;
}

Etag& Etag::operator=(const Etag& other) {
  if (this != &other) {
    Clear();
    CopyFrom(other);
  }
  return *this;
}

Etag& Etag::operator=(Etag&& other) noexcept {
  if (this != &other) {
    Clear();
    std::memcpy(md5_, other.md5_, sizeof(md5_));
    parts_ = other.parts_;
    form_ = other.form_;
    other.form_ = Form::kEmpty;
  }
  return *this;
}

bool operator==(const Etag& a, const Etag& b) {
  if (a.form_ != b.form_ || a.parts_ != b.parts_) return false;
  if (a.form_ == Etag::Form::kEmpty) return true;
  if (a.form_ == Etag::Form::kOther) return *a.other_ == *b.other_;
  return std::memcmp(a.md5_, b.md5_, sizeof(a.md5_)) == 0;
}

// ---------------------------------------------------------------------------------------------

namespace {

struct NameTable {
  std::mutex mu;
  std::deque<std::string> names;  // a deque: views of its strings stay valid as it grows
  std::unordered_map<std::string_view, uint16_t> index;

  NameTable() {
    // AWS's storage classes and archive statuses: the common case never takes a new slot.
    for (std::string_view n :
         {"", "STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING",
          "GLACIER", "DEEP_ARCHIVE", "OUTPOSTS", "GLACIER_IR", "SNOW", "EXPRESS_ONEZONE",
          "ARCHIVE_ACCESS", "DEEP_ARCHIVE_ACCESS"}) {
      Add(n);
    }
    Add(InternedName::kOverflowName);
  }
  uint16_t Add(std::string_view n) {
    names.emplace_back(n);
    auto i = static_cast<uint16_t>(names.size() - 1);
    index.emplace(names.back(), i);
    return i;
  }
};

NameTable& Names() {
  static NameTable* table = new NameTable();  // never destroyed: views outlive static dtors
  return *table;
}

}  // namespace

uint16_t InternedName::Intern(std::string_view text) {
  if (text.empty()) return 0;
  NameTable& t = Names();
  std::lock_guard lock(t.mu);
  auto it = t.index.find(text);
  if (it != t.index.end()) return it->second;
  if (t.names.size() >= kMaxInternedNames) {
    spdlog::debug("mount: storage class or archive status '{}' past the table's {} values", text,
                  kMaxInternedNames);
    return t.index.at(kOverflowName);
  }
  return t.Add(text);
}

std::string_view InternedName::view() const {
  if (index_ == 0) return {};
  NameTable& t = Names();
  std::lock_guard lock(t.mu);
  return t.names[index_];
}

// ---------------------------------------------------------------------------------------------

CompactRestore& CompactRestore::operator=(const std::optional<s3::RestoreStatus>& r) {
  known_ = r.has_value();
  state_ = r ? static_cast<uint8_t>(r->state) : 0;
  has_expiry_ = r && r->expiry.has_value();
  expiry_ticks_ = has_expiry_ ? r->expiry->time_since_epoch().count() : 0;
  return *this;
}

s3::RestoreStatus CompactRestore::operator*() const {
  s3::RestoreStatus r;
  r.state = static_cast<s3::RestoreStatus::State>(state_);
  if (has_expiry_) r.expiry = Clock::TimePoint(Clock::TimePoint::duration(expiry_ticks_));
  return r;
}

std::optional<s3::RestoreStatus> CompactRestore::get() const {
  if (!known_) return std::nullopt;
  return **this;
}

}  // namespace thaw::fs
