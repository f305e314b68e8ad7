// Multipart upload of a random-access source (see multipart_upload.h).
#include "s3/multipart_upload.h"

#include <openssl/evp.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "common/strings.h"
#include "s3/error.h"

namespace thaw::s3 {
namespace {

constexpr uint64_t kMiB = 1ull << 20;

// Base64 MD5 of [offset, offset + len) of the source, read in 1 MiB pieces.
Result<std::string> PartMd5(const MultipartUploadOptions& o, uint64_t offset, uint64_t len) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_md5(), nullptr) != 1) {
    return Status::Internal("MD5 unavailable");
  }
  std::string buf(static_cast<size_t>(std::min(len, kMiB)), '\0');
  uint64_t done = 0;
  while (done < len) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), len - done));
    int64_t n = o.read_at(offset + done, buf.data(), want);
    if (n <= 0) {
      return Status::DataLoss("reading the source at byte " + std::to_string(offset + done) +
                              (n == 0 ? ": it ended early" : ": read error"));
    }
    EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<size_t>(n));
    done += static_cast<uint64_t>(n);
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &digest_len);
  unsigned char b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
  int b64_len = EVP_EncodeBlock(b64, digest, static_cast<int>(digest_len));
  return std::string(reinterpret_cast<char*>(b64), static_cast<size_t>(b64_len));
}

// A body that streams [offset, offset + len) of the source; rewindable for retries.
HttpBody PartBody(const MultipartUploadOptions& o, uint64_t offset, uint64_t len) {
  auto pos = std::make_shared<uint64_t>(0);
  HttpBody body;
  body.size = len;
  const auto& read_at = o.read_at;
  body.reader = [&read_at, pos, offset, len](char* buf, size_t n) -> int64_t {
    size_t want = static_cast<size_t>(std::min<uint64_t>(n, len - *pos));
    if (want == 0) return 0;
    int64_t got = read_at(offset + *pos, buf, want);
    if (got <= 0) return -1;  // the source shrank under us: the transfer fails
    *pos += static_cast<uint64_t>(got);
    return got;
  };
  body.rewind = [pos] {
    *pos = 0;
    return true;
  };
  return body;
}

// S3's ETag for an object completed from `parts`: the MD5 of the parts' binary MD5s and "-N".
// nullopt when a part's ETag is not a plain MD5 (e.g. SSE-KMS), so it cannot be predicted.
std::optional<std::string> ExpectedEtag(const std::vector<CompletedPart>& parts) {
  std::string md5s;
  for (const CompletedPart& p : parts) {
    std::string_view hex = p.etag;
    if (hex.size() == 34 && hex.front() == '"' && hex.back() == '"') hex = hex.substr(1, 32);
    if (hex.size() != 32) return std::nullopt;
    for (size_t i = 0; i < hex.size(); i += 2) {
      auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
      };
      int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
      if (hi < 0 || lo < 0) return std::nullopt;
      md5s += static_cast<char>(hi * 16 + lo);
    }
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(md5s.data(), md5s.size(), digest, &len, EVP_md5(), nullptr);
  return "\"" + HexEncode(std::string_view(reinterpret_cast<char*>(digest), len)) + "-" +
         std::to_string(parts.size()) + "\"";
}

}  // namespace

Result<uint64_t> ChoosePartSize(uint64_t total, uint64_t min_part_size) {
  if (total > kMaxObjectSize) {
    return Status::InvalidArgument("object of " + std::to_string(total) +
                                   " bytes is over S3's 5 TiB limit");
  }
  uint64_t size = std::max(min_part_size, kMinPartSize);
  size = std::max(size, (total + kMaxParts - 1) / kMaxParts);
  size = (size + kMiB - 1) / kMiB * kMiB;
  return std::min(size, kMaxPartSize);
}

Result<PutObjectResult> UploadMultipart(S3Client& client, const MultipartUploadOptions& o) {
  const std::string resource = "s3://" + o.target.bucket + "/" + o.target.key;
  if (o.size == 0 || o.part_size == 0 || !o.read_at) {
    return Status::InvalidArgument("multipart upload of " + resource + ": nothing to send");
  }
  uint64_t count64 = (o.size + o.part_size - 1) / o.part_size;
  if (count64 > static_cast<uint64_t>(kMaxParts)) {
    return Status::InvalidArgument("multipart upload of " + resource + ": " +
                                   std::to_string(count64) + " parts, S3 allows 10,000");
  }
  const int count = static_cast<int>(count64);
  THAW_ASSIGN_OR_RETURN(std::string upload_id, client.CreateMultipartUpload(o.target));

  std::vector<CompletedPart> parts(static_cast<size_t>(count));
  std::atomic<int> next{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  Status first_error;
  auto work = [&] {
    while (!failed.load()) {
      int index = next.fetch_add(1);
      if (index >= count) return;
      uint64_t offset = static_cast<uint64_t>(index) * o.part_size;
      uint64_t len = std::min(o.part_size, o.size - offset);
      UploadPartRequest req;
      req.bucket = o.target.bucket;
      req.key = o.target.key;
      req.upload_id = upload_id;
      req.part_number = index + 1;
      Result<std::string> etag = PartMd5(o, offset, len);
      if (etag.ok()) {
        req.content_md5 = *etag;
        req.body = PartBody(o, offset, len);
        etag = client.UploadPart(req);
      }
      if (!etag.ok()) {
        std::lock_guard lock(mu);
        if (first_error.ok()) {
          first_error = etag.status().WithContext("part " + std::to_string(index + 1) + " of " +
                                                  std::to_string(count));
        }
        failed = true;
        return;
      }
      parts[static_cast<size_t>(index)] = CompletedPart{index + 1, *std::move(etag)};
    }
  };
  int workers = std::clamp(o.concurrency, 1, count);
  std::vector<std::thread> threads;
  for (int i = 1; i < workers; ++i) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();

  Status failure = first_error;
  if (failure.ok()) {
    CompleteMultipartUploadRequest complete;
    complete.bucket = o.target.bucket;
    complete.key = o.target.key;
    complete.upload_id = upload_id;
    complete.parts = std::move(parts);
    Result<PutObjectResult> done = client.CompleteMultipartUpload(complete);
    if (done.ok()) return done;
    failure = done.status();
    // NoSuchUpload after the client retried a Complete whose answer was lost: the first
    // attempt may have done it. The object then carries exactly the ETag these parts make.
    std::optional<std::string> expected = ExpectedEtag(complete.parts);
    if (S3ErrorCode(failure) == "NoSuchUpload" && expected) {
      auto head = client.HeadObject({o.target.bucket, o.target.key, ""});
      if (head.ok() && head->etag == *expected)
        return PutObjectResult{head->etag, head->version_id};
    }
  }
  // Every part request has finished (threads joined), so one abort removes them all.
  Status aborted = client.AbortMultipartUpload(o.target.bucket, o.target.key, upload_id);
  if (!aborted.ok() && !aborted.IsNotFound()) {
    return failure.WithContext("upload " + upload_id +
                               " not aborted, its parts stay until it is (" + aborted.message() +
                               ")");
  }
  return failure;
}

}  // namespace thaw::s3
