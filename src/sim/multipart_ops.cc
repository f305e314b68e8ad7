// Multipart uploads: CreateMultipartUpload, UploadPart, UploadPartCopy, CompleteMultipartUpload
// (parts concatenated on disk; ETag = MD5 of the parts' MD5s + "-N"; composite or full-object
// checksums as multipart_checksum.h describes),
// AbortMultipartUpload and ListParts.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <pugixml.hpp>

#include "common/random_id.h"
#include "common/strings.h"
#include "common/time_format.h"
#include "sim/checksums.h"
#include "sim/http_conditions.h"
#include "sim/multipart_checksum.h"
#include "sim/object_parts.h"
#include "sim/s3_error.h"
#include "sim/service.h"
#include "sim/xml_reader.h"
#include "sim/xml_writer.h"

namespace thaw::sim {
namespace {

constexpr uint64_t kMinPartSize = 5ull << 20;

Response Xml(std::string body) {
  Response r;
  r.headers.Set("Content-Type", "application/xml");
  r.body = std::move(body);
  return r;
}

std::string NewUploadId() {
  std::string id = Base64Encode(RandomBytes(24));
  for (char& c : id) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return id;
}

// Appends `length` bytes at `offset` of `src_path` to `out_fd`, feeding `md5` when given.
Status AppendRange(int out_fd, const std::string& src_path, uint64_t offset, uint64_t length,
                   Digest* md5) {
  int in = ::open(src_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return Status::Internal("open " + src_path + ": " + std::strerror(errno));
  std::string buf(1 << 20, '\0');
  Status st;
  while (length > 0 && st.ok()) {
    ssize_t n =
        ::pread(in, buf.data(), std::min<uint64_t>(buf.size(), length), static_cast<off_t>(offset));
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      st = Status::Internal("read " + src_path + ": short file");
      break;
    }
    if (md5) md5->Update(std::string_view(buf.data(), n));
    for (ssize_t done = 0; done < n;) {
      ssize_t w = ::write(out_fd, buf.data() + done, n - done);
      if (w < 0) {
        if (errno == EINTR) continue;
        st = Status::Internal(std::string("write: ") + std::strerror(errno));
        break;
      }
      done += w;
    }
    offset += n;
    length -= n;
  }
  ::close(in);
  return st;
}

// The raw `kind` digest of the first `size` bytes of a part's file.
Result<std::string> DigestFile(const std::string& path, uint64_t size, DigestKind kind) {
  int in = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return Status::Internal("open " + path + ": " + std::strerror(errno));
  auto d = MakeDigest(kind);
  std::string buf(1 << 20, '\0');
  uint64_t offset = 0;
  while (offset < size) {
    ssize_t n = ::pread(in, buf.data(), std::min<uint64_t>(buf.size(), size - offset),
                        static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(in);
      return Status::Internal("read " + path + ": short file");
    }
    d->Update(std::string_view(buf.data(), n));
    offset += n;
  }
  ::close(in);
  return d->Finish();
}

Result<int> ParsePartNumber(const Request& req) {
  auto n = ParseInt64(req.Query("partNumber"));
  if (!n || *n < 1 || *n > 10000) {
    return S3Err("InvalidArgument",
                 "Part number must be an integer between 1 and 10000, inclusive");
  }
  return static_cast<int>(*n);
}

}  // namespace

Result<Response> Service::CreateMultipartUpload(Call& call) {
  THAW_RETURN_IF_ERROR(CheckBucket(call.route.bucket));
  UploadRecord u;
  THAW_ASSIGN_OR_RETURN(u.object, ObjectFromHeaders(call.req, call.route.bucket, call.route.key));
  THAW_ASSIGN_OR_RETURN(std::optional<UploadChecksum> checksum,
                        UploadChecksumFromHeaders(call.req.headers));
  if (checksum) RememberUploadChecksum(u.object, *checksum);
  u.upload_id = NewUploadId();
  u.bucket = call.route.bucket;
  u.key = call.route.key;
  u.initiated = clock_.Now();
  THAW_RETURN_IF_ERROR(store_.CreateUpload(u));
  XmlWriter w;
  w.Open("InitiateMultipartUploadResult", true);
  w.Element("Bucket", u.bucket);
  w.Element("Key", u.key);
  w.Element("UploadId", u.upload_id);
  w.Close("InitiateMultipartUploadResult");
  Response r = Xml(w.Finish());
  if (checksum) {
    r.headers.Set("x-amz-checksum-algorithm", ChecksumElementSuffix(checksum->kind));
    r.headers.Set("x-amz-checksum-type", checksum->full_object ? "FULL_OBJECT" : "COMPOSITE");
  }
  return r;
}

Result<Response> Service::UploadPart(Call& call) {
  THAW_ASSIGN_OR_RETURN(int number, ParsePartNumber(call.req));
  auto upload = store_.GetUpload(call.req.Query("uploadId"));
  if (upload.status().IsNotFound() || (upload.ok() && upload->bucket != call.route.bucket)) {
    return S3Err("NoSuchUpload");
  }
  if (!upload.ok()) return upload.status();
  const UploadResult& up = *call.req.upload;
  PartRecord part{number, "", up.size_bytes, QuotedEtag(up.md5), clock_.Now()};
  THAW_RETURN_IF_ERROR(store_.PutPart(upload->upload_id, part, up.temp_path));
  Response r;
  r.headers.Set("ETag", part.etag);
  if (up.checksum) r.headers.Set("x-amz-checksum-" + ChecksumName(*up.checksum), up.checksum_b64);
  call.req.upload.reset();  // consumed (`up` dangles from here)
  return r;
}

Result<Response> Service::UploadPartCopy(Call& call) {
  THAW_ASSIGN_OR_RETURN(int number, ParsePartNumber(call.req));
  auto upload = store_.GetUpload(call.req.Query("uploadId"));
  if (upload.status().IsNotFound()) return S3Err("NoSuchUpload");
  if (!upload.ok()) return upload.status();
  THAW_ASSIGN_OR_RETURN(ObjectRecord source, LoadCopySource(call.req));
  uint64_t offset = 0, length = source.size;
  if (const std::string* range = call.req.headers.Find("x-amz-copy-source-range")) {
    auto parsed = ParseRange(*range, source.size);
    if (!parsed.ok() || !*parsed) {
      return S3Err("InvalidArgument",
                   "The x-amz-copy-source-range value must be of the form bytes=first-last");
    }
    offset = (*parsed)->first;
    length = (*parsed)->length;
  }
  std::string temp = store_.NewTempPath();
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Internal("open " + temp + ": " + std::strerror(errno));
  auto md5 = MakeDigest(DigestKind::kMd5);
  Status st = AppendRange(fd, store_.ObjectPath(source.file), offset, length, md5.get());
  ::close(fd);
  if (!st.ok()) {
    ::unlink(temp.c_str());
    return st;
  }
  PartRecord part{number, "", length, QuotedEtag(md5->Finish()), clock_.Now()};
  st = store_.PutPart(upload->upload_id, part, temp);
  if (!st.ok()) {
    ::unlink(temp.c_str());
    return st;
  }
  XmlWriter w;
  w.Open("CopyPartResult", true);
  w.Element("LastModified", FormatIso8601(part.last_modified));
  w.Element("ETag", part.etag);
  w.Close("CopyPartResult");
  return Xml(w.Finish());
}

Result<Response> Service::CompleteMultipartUpload(Call& call) {
  auto upload = store_.GetUpload(call.req.Query("uploadId"));
  if (upload.status().IsNotFound() || (upload.ok() && upload->bucket != call.route.bucket)) {
    return S3Err("NoSuchUpload");
  }
  if (!upload.ok()) return upload.status();
  // Checked first to fail fast, and again under the key's lock right before the write.
  THAW_RETURN_IF_ERROR(CheckConditionalWrite(call, upload->initiated));
  pugi::xml_document doc;
  THAW_ASSIGN_OR_RETURN(pugi::xml_node root,
                        LoadXmlBody(doc, call.req.body, "CompleteMultipartUpload"));
  THAW_ASSIGN_OR_RETURN(auto stored, store_.ListParts(upload->upload_id));
  std::map<int, PartRecord> by_number;
  for (PartRecord& p : stored) by_number[p.number] = p;

  ObjectRecord rec = upload->object;
  std::optional<UploadChecksum> checksum = TakeUploadChecksum(rec);
  std::string element = checksum ? "Checksum" + ChecksumElementSuffix(checksum->kind) : "";
  std::vector<PartRecord> chosen;
  std::vector<std::string> given;  // the part checksums the client lists ("" when none)
  int previous = 0;
  for (pugi::xml_node part : root.children("Part")) {
    auto n = ParseInt64(Trim(part.child_value("PartNumber")));
    if (!n) return S3Err("MalformedXML");
    if (*n <= previous) return S3Err("InvalidPartOrder");
    previous = static_cast<int>(*n);
    auto it = by_number.find(previous);
    std::string etag(Trim(part.child_value("ETag")));
    if (!etag.empty() && etag.front() != '"') etag = "\"" + etag + "\"";
    if (it == by_number.end() || it->second.etag != etag) return S3Err("InvalidPart");
    chosen.push_back(it->second);
    given.push_back(checksum ? std::string(Trim(part.child_value(element.c_str()))) : "");
  }
  if (chosen.empty()) return S3Err("MalformedXML", "You must specify at least one part");
  for (size_t i = 0; i + 1 < chosen.size(); ++i) {
    if (chosen[i].size < kMinPartSize) return S3Err("EntityTooSmall");
  }

  // Each part's checksum, checked against the one the client lists for it.
  std::vector<std::string> part_raw;
  for (size_t i = 0; checksum && i < chosen.size(); ++i) {
    THAW_ASSIGN_OR_RETURN(std::string raw,
                          DigestFile(chosen[i].file, chosen[i].size, checksum->kind));
    if (!given[i].empty() && Base64Decode(given[i]) != raw) {
      return S3Err("InvalidPart", "The " + element + " you specified for part " +
                                      std::to_string(chosen[i].number) +
                                      " did not match what we received.");
    }
    part_raw.push_back(std::move(raw));
  }

  std::string temp = store_.NewTempPath();
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Internal("open " + temp + ": " + std::strerror(errno));
  auto etag_md5 = MakeDigest(DigestKind::kMd5);
  std::unique_ptr<Digest> whole =
      checksum && checksum->full_object ? MakeDigest(checksum->kind) : nullptr;
  uint64_t total = 0;
  Status st;
  for (const PartRecord& p : chosen) {
    std::string hex = p.etag.substr(1, p.etag.size() - 2);
    std::string raw;
    for (size_t i = 0; i + 1 < hex.size(); i += 2) {
      raw += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
    }
    etag_md5->Update(raw);
    st = AppendRange(fd, p.file, 0, p.size, whole.get());
    if (!st.ok()) break;
    total += p.size;
  }
  ::close(fd);
  if (!st.ok()) {
    ::unlink(temp.c_str());
    return st;
  }
  std::vector<uint64_t> sizes;
  for (const PartRecord& p : chosen) sizes.push_back(p.size);
  SetPartSizes(rec, sizes);
  std::string object_checksum;
  if (checksum) {
    object_checksum = FormatObjectChecksum(*checksum, part_raw, whole ? whole->Finish() : "");
    std::string header = "x-amz-checksum-" + ChecksumName(checksum->kind);
    const std::string* sent = call.req.headers.Find(header);
    // A composite value may be sent with or without its "-N".
    std::string given_whole = sent ? std::string(Trim(*sent)) : "";
    std::string parts_suffix = "-" + std::to_string(chosen.size());
    if (sent && given_whole != object_checksum &&
        (checksum->full_object || given_whole + parts_suffix != object_checksum)) {
      ::unlink(temp.c_str());
      return S3Err("BadDigest", "The " + element +
                                    " you specified did not match the calculated "
                                    "checksum.");
    }
    rec.headers[header] = object_checksum;
    rec.headers["x-amz-checksum-type"] = checksum->full_object ? "FULL_OBJECT" : "COMPOSITE";
    if (!checksum->full_object) {
      std::vector<std::string> b64;
      for (const std::string& raw : part_raw) b64.push_back(Base64Encode(raw));
      SetPartChecksums(rec, b64);
    }
  }
  rec.size = total;
  rec.etag = "\"" + HexEncode(etag_md5->Finish()) + "-" + std::to_string(chosen.size()) + "\"";
  {
    std::lock_guard<std::mutex> lock(KeyLock(rec.bucket, rec.key));
    rec.last_modified = clock_.Now();
    st = CheckConditionalWrite(call, upload->initiated);
    if (st.ok()) st = store_.PutObject(rec, temp);
  }
  if (!st.ok()) {
    ::unlink(temp.c_str());
    return st;
  }
  THAW_RETURN_IF_ERROR(store_.DeleteUpload(upload->upload_id));
  XmlWriter w;
  w.Open("CompleteMultipartUploadResult", true);
  w.Element("Location", "/" + rec.bucket + "/" + UriEncode(rec.key, true));
  w.Element("Bucket", rec.bucket);
  w.Element("Key", rec.key);
  w.Element("ETag", rec.etag);
  if (checksum) {
    w.Element(element, object_checksum);
    w.Element("ChecksumType", checksum->full_object ? "FULL_OBJECT" : "COMPOSITE");
  }
  w.Close("CompleteMultipartUploadResult");
  Response r = Xml(w.Finish());
  if (!rec.version_id.empty()) r.headers.Set("x-amz-version-id", rec.version_id);
  return r;
}

Result<Response> Service::AbortMultipartUpload(Call& call) {
  auto upload = store_.GetUpload(call.req.Query("uploadId"));
  if (upload.status().IsNotFound()) return S3Err("NoSuchUpload");
  if (!upload.ok()) return upload.status();
  THAW_RETURN_IF_ERROR(store_.DeleteUpload(upload->upload_id));
  Response r;
  r.status = 204;
  return r;
}

Result<Response> Service::ListParts(Call& call) {
  auto upload = store_.GetUpload(call.req.Query("uploadId"));
  if (upload.status().IsNotFound()) return S3Err("NoSuchUpload");
  if (!upload.ok()) return upload.status();
  THAW_ASSIGN_OR_RETURN(auto parts, store_.ListParts(upload->upload_id));
  int marker = static_cast<int>(ParseInt64(call.req.Query("part-number-marker")).value_or(0));
  int max_parts = static_cast<int>(ParseInt64(call.req.Query("max-parts")).value_or(1000));
  XmlWriter w;
  w.Open("ListPartsResult", true);
  w.Element("Bucket", upload->bucket);
  w.Element("Key", upload->key);
  w.Element("UploadId", upload->upload_id);
  w.Element("StorageClass", upload->object.archive.storage_class);
  w.Element("PartNumberMarker", static_cast<uint64_t>(marker));
  int listed = 0, last = marker;
  bool truncated = false;
  for (const PartRecord& p : parts) {
    if (p.number <= marker) continue;
    if (listed == max_parts) {
      truncated = true;
      break;
    }
    ++listed;
    last = p.number;
    w.Open("Part");
    w.Element("PartNumber", static_cast<uint64_t>(p.number));
    w.Element("LastModified", FormatIso8601(p.last_modified));
    w.Element("ETag", p.etag);
    w.Element("Size", p.size);
    w.Close("Part");
  }
  w.Element("NextPartNumberMarker", static_cast<uint64_t>(last));
  w.Element("MaxParts", static_cast<uint64_t>(max_parts));
  w.Bool("IsTruncated", truncated);
  w.Close("ListPartsResult");
  return Xml(w.Finish());
}

}  // namespace thaw::sim
