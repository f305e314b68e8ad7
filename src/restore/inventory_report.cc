// InventoryReport (see inventory.h): finds manifest.json and its data files, locally or in S3,
// checks MD5s (manifest.checksum for the manifest, files[].MD5checksum for each data file) and
// streams the rows through zlib. A downloaded data file goes to a temporary file while its MD5
// is computed, so nothing of the report is held in memory.
#include <openssl/evp.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <streambuf>

#include "common/s3_uri.h"
#include "common/strings.h"
#include "restore/inventory.h"

namespace thaw::restore {
namespace {

namespace fs = std::filesystem;

constexpr size_t kChunk = 1 << 16;
// manifest.json lists file names and MD5s: a few KiB even for a billion rows.
constexpr size_t kMaxManifestBytes = 64 << 20;

class Md5 {
 public:
  Md5() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_md5(), nullptr); }
  ~Md5() { EVP_MD_CTX_free(ctx_); }
  Md5(const Md5&) = delete;
  Md5& operator=(const Md5&) = delete;
  void Update(std::string_view s) { EVP_DigestUpdate(ctx_, s.data(), s.size()); }
  std::string Hex() {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(ctx_, out, &n);
    return HexEncode(std::string_view(reinterpret_cast<char*>(out), n));
  }

 private:
  EVP_MD_CTX* ctx_;
};

Result<std::string> Md5OfFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot open " + path);
  Md5 md5;
  std::string buf(kChunk, '\0');
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    md5.Update(std::string_view(buf.data(), static_cast<size_t>(in.gcount())));
  }
  return md5.Hex();
}

// Inflates a gzip file (concatenated members too) as an istream. A corrupt or truncated file
// ends the stream early and leaves the reason in status().
class GzipStreambuf : public std::streambuf {
 public:
  explicit GzipStreambuf(std::istream& in) : in_(in), raw_(kChunk, '\0'), out_(kChunk, '\0') {
    zs_.zalloc = Z_NULL;
    zs_.zfree = Z_NULL;
    zs_.opaque = Z_NULL;
    if (inflateInit2(&zs_, 15 + 16) != Z_OK) status_ = Status::Internal("inflateInit2");
  }
  ~GzipStreambuf() override { inflateEnd(&zs_); }
  const Status& status() const { return status_; }

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    while (status_.ok() && !done_) {
      if (zs_.avail_in == 0) {
        in_.read(raw_.data(), static_cast<std::streamsize>(raw_.size()));
        zs_.avail_in = static_cast<uInt>(in_.gcount());
        zs_.next_in = reinterpret_cast<Bytef*>(raw_.data());
        if (zs_.avail_in == 0) {
          // Input ended: fine between members, a truncation inside one.
          if (in_member_) status_ = Status::DataLoss("gzip data ends early (truncated file)");
          done_ = true;
          break;
        }
      }
      zs_.next_out = reinterpret_cast<Bytef*>(out_.data());
      zs_.avail_out = static_cast<uInt>(out_.size());
      in_member_ = true;
      int rc = inflate(&zs_, Z_NO_FLUSH);
      size_t produced = out_.size() - zs_.avail_out;
      if (rc == Z_STREAM_END) {
        in_member_ = false;
        inflateReset(&zs_);  // another member may follow
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        status_ = Status::DataLoss(std::string("corrupt gzip data: ") +
                                   (zs_.msg ? zs_.msg : "inflate failed"));
        break;
      }
      if (produced > 0) {
        setg(out_.data(), out_.data(), out_.data() + produced);
        return traits_type::to_int_type(*gptr());
      }
    }
    return traits_type::eof();
  }

 private:
  std::istream& in_;
  z_stream zs_{};
  std::string raw_;
  std::string out_;
  Status status_;
  bool in_member_ = false;
  bool done_ = false;
};

std::string FileName(const std::string& key) {
  size_t slash = key.rfind('/');
  return slash == std::string::npos ? key : key.substr(slash + 1);
}

}  // namespace

Result<std::unique_ptr<InventoryReport>> InventoryReport::Open(const std::string& location,
                                                               s3::S3Client* client,
                                                               const std::string& expected_bucket,
                                                               const std::string& tmp_dir) {
  std::unique_ptr<InventoryReport> r(new InventoryReport);
  r->location_ = location;
  r->client_ = client;
  r->tmp_dir_ = tmp_dir;
  std::string manifest_text;
  std::optional<std::string> checksum;  // manifest.checksum, when there is one
  if (StartsWith(location, "s3://")) {
    if (!client) return Status::InvalidArgument("--inventory " + location + ": no S3 client");
    THAW_ASSIGN_OR_RETURN(S3Uri uri, ParseS3Uri(location));
    if (uri.key.empty() || EndsWith(uri.key, "/")) {
      return Status::InvalidArgument("--inventory " + location +
                                     ": name the report's manifest.json");
    }
    s3::GetObjectRequest get{uri.bucket, uri.key, "", std::nullopt, "", nullptr};
    auto m = client->GetObject(get);
    if (!m.ok()) return Status(m.status().code(), location + ": " + m.status().message());
    if (m->body.size() > kMaxManifestBytes) {
      return Status::InvalidArgument(location + ": manifest larger than 64 MiB");
    }
    manifest_text = std::move(m->body);
    std::string sum_key = uri.key.substr(0, uri.key.rfind('/') + 1) + "manifest.checksum";
    auto sum = client->GetObject({uri.bucket, sum_key, "", std::nullopt, "", nullptr});
    if (sum.ok()) checksum = std::string(Trim(sum->body));
  } else {
    std::ifstream in(location, std::ios::binary);
    if (!in) return Status::InvalidArgument("--inventory " + location + ": cannot open");
    manifest_text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    r->local_dir_ = fs::path(location).parent_path().string();
    std::ifstream sum(fs::path(r->local_dir_) / "manifest.checksum", std::ios::binary);
    if (sum) {
      std::string text((std::istreambuf_iterator<char>(sum)), std::istreambuf_iterator<char>());
      checksum = std::string(Trim(text));
    }
  }
  if (checksum) {
    Md5 md5;
    md5.Update(manifest_text);
    std::string actual = md5.Hex();
    if (ToLower(*checksum) != actual) {
      return Status::DataLoss(location + ": manifest.checksum says " + *checksum +
                              " but manifest.json has MD5 " + actual +
                              " (damaged or partly written report)");
    }
  }
  THAW_ASSIGN_OR_RETURN(r->manifest_, ParseInventoryManifest(manifest_text, location));
  if (!expected_bucket.empty() && r->manifest_.source_bucket != expected_bucket) {
    return Status::InvalidArgument(location + " is an inventory of bucket '" +
                                   r->manifest_.source_bucket + "', not of '" + expected_bucket +
                                   "'");
  }
  r->fetched_.resize(r->manifest_.files.size());
  return r;
}

InventoryReport::~InventoryReport() {
  std::error_code ec;
  for (const std::string& t : temp_files_) fs::remove(t, ec);
}

Result<std::string> InventoryReport::DataFile(size_t i) {
  if (!fetched_[i].empty()) return fetched_[i];
  const InventoryFile& f = manifest_.files[i];
  std::string path;
  if (local_dir_.empty() && StartsWith(location_, "s3://")) {
    THAW_ASSIGN_OR_RETURN(S3Uri uri, ParseS3Uri(location_));
    // Data files live in the destination bucket (the manifest's ARN); the manifest's own
    // bucket when it names none.
    std::string bucket =
        manifest_.destination_bucket.empty() ? uri.bucket : manifest_.destination_bucket;
    std::error_code ec;
    fs::create_directories(tmp_dir_, ec);
    path =
        (fs::path(tmp_dir_) / ("inventory-" + std::to_string(i) + "-" + FileName(f.key))).string();
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) return Status::Unavailable("cannot write " + path);
    temp_files_.push_back(path);
    s3::GetObjectRequest get{bucket, f.key, "", std::nullopt, "", nullptr};
    get.sink = [&out](std::string_view chunk) {
      out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
      return out ? Status::Ok() : Status::Unavailable("disk full?");
    };
    auto got = client_->GetObject(get);
    out.close();
    if (!got.ok()) {
      return Status(got.status().code(),
                    "s3://" + bucket + "/" + f.key + ": " + got.status().message());
    }
  } else {
    // A local copy of the destination prefix: the key is relative to some ancestor of the
    // manifest's directory (DEST-PREFIX/SOURCE/CONFIG/DATE/manifest.json and
    // DEST-PREFIX/SOURCE/CONFIG/data/x.csv.gz); failing that, ../data/ beside the dated folder.
    fs::path dir = fs::absolute(local_dir_.empty() ? "." : local_dir_);
    for (fs::path d = dir;; d = d.parent_path()) {
      if (fs::exists(d / f.key)) {
        path = (d / f.key).string();
        break;
      }
      if (d == d.parent_path()) break;
    }
    if (path.empty() && fs::exists(dir.parent_path() / "data" / FileName(f.key))) {
      path = (dir.parent_path() / "data" / FileName(f.key)).string();
    }
    if (path.empty()) {
      return Status::NotFound("data file " + f.key + " of " + location_ +
                              " not found beside the manifest");
    }
  }
  THAW_ASSIGN_OR_RETURN(std::string md5, Md5OfFile(path));
  if (md5 != f.md5_hex) {
    return Status::DataLoss("data file " + f.key + ": MD5 " + md5 + " does not match the " +
                            "manifest's MD5checksum " + f.md5_hex + " (damaged or replaced)");
  }
  fetched_[i] = path;
  return path;
}

Status InventoryReport::ForEachRow(const std::function<Status(const InventoryRow&)>& fn) {
  for (size_t i = 0; i < manifest_.files.size(); ++i) {
    THAW_ASSIGN_OR_RETURN(std::string path, DataFile(i));
    std::ifstream raw(path, std::ios::binary);
    if (!raw) return Status::Unavailable("cannot open " + path);
    GzipStreambuf gz(raw);
    std::istream in(&gz);
    InventoryCsvReader reader(in, manifest_.schema, manifest_.files[i].key);
    while (true) {
      Result<std::optional<InventoryRow>> next = reader.Next();
      // A truncated file often shows first as a short row: the gzip error is the real one.
      if (!gz.status().ok()) {
        return Status(gz.status().code(),
                      "data file " + manifest_.files[i].key + ": " + gz.status().message());
      }
      if (!next.ok()) return next.status();
      std::optional<InventoryRow>& row = *next;
      if (!row) break;
      if (row->object.bucket != manifest_.source_bucket) {
        return Status::InvalidArgument("data file " + manifest_.files[i].key +
                                       " lists an object of bucket '" + row->object.bucket +
                                       "' in an inventory of '" + manifest_.source_bucket + "'");
      }
      THAW_RETURN_IF_ERROR(fn(*row));
    }
  }
  return Status::Ok();
}

}  // namespace thaw::restore
