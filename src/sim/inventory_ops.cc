// S3 Inventory in thaw sim: Put/Get/List/DeleteBucketInventoryConfiguration and the report
// writer the sweep runs (inventory.h says what is written where and when).
#include <spdlog/spdlog.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <pugixml.hpp>
#include <sstream>

#include "common/random_id.h"
#include "common/strings.h"
#include "common/time_format.h"
#include "sim/checksums.h"
#include "sim/events_out.h"
#include "sim/s3_error.h"
#include "sim/service.h"

namespace thaw::sim {
namespace {

// A data file holds at most this many rows (AWS splits large reports into several files too).
constexpr size_t kRowsPerDataFile = 1000000;

std::string FolderTime(Clock::TimePoint t, bool hive) {
  std::string iso = FormatIso8601(t, false);  // 2026-12-04T09:45:00Z
  std::string date = iso.substr(0, 10), hh = iso.substr(11, 2), mm = iso.substr(14, 2);
  return hive ? date + "-" + hh + "-" + mm : date + "T" + hh + "-" + mm + "Z";
}

Status NoSuchConfiguration() {
  return S3ErrWithStatus(404, "NoSuchConfiguration", "The specified configuration does not exist.");
}

}  // namespace

Result<Response> Service::PutBucketInventory(Call& call) {
  THAW_RETURN_IF_ERROR(CheckBucket(call.route.bucket));
  std::string id = call.req.Query("id");
  if (id.empty()) return S3Err("InvalidArgument", "?inventory needs an id");
  THAW_ASSIGN_OR_RETURN(InventoryConfig c, ParseInventoryConfiguration(call.req.body, id));
  std::lock_guard<std::mutex> lock(inventory_mu_);
  inventories_[call.route.bucket][id] = std::move(c);
  Response r;
  return r;
}

Result<Response> Service::GetBucketInventory(Call& call) {
  THAW_RETURN_IF_ERROR(CheckBucket(call.route.bucket));
  std::lock_guard<std::mutex> lock(inventory_mu_);
  std::string id = call.req.Query("id");
  Response r;
  r.headers.Set("Content-Type", "application/xml");
  auto b = inventories_.find(call.route.bucket);
  if (!id.empty()) {
    if (b == inventories_.end() || !b->second.count(id)) return NoSuchConfiguration();
    r.body = b->second.at(id).xml;
    return r;
  }
  // ListBucketInventoryConfigurations: every configuration in one page (S3 pages by 100).
  pugi::xml_document out;
  pugi::xml_node root = out.append_child("ListInventoryConfigurationsResult");
  root.append_attribute("xmlns") = "http://s3.amazonaws.com/doc/2006-03-01/";
  if (b != inventories_.end()) {
    for (const auto& [cid, c] : b->second) {
      pugi::xml_document one;
      if (one.load_buffer(c.xml.data(), c.xml.size())) {
        pugi::xml_node copy = root.append_copy(one.child("InventoryConfiguration"));
        copy.remove_attribute("xmlns");
      }
    }
  }
  root.append_child("IsTruncated").text() = "false";
  std::ostringstream s;
  out.save(s, "", pugi::format_raw);
  r.body = s.str();
  return r;
}

Result<Response> Service::DeleteBucketInventory(Call& call) {
  THAW_RETURN_IF_ERROR(CheckBucket(call.route.bucket));
  std::string id = call.req.Query("id");
  if (id.empty()) return S3Err("InvalidArgument", "?inventory needs an id");
  std::lock_guard<std::mutex> lock(inventory_mu_);
  auto b = inventories_.find(call.route.bucket);
  if (b == inventories_.end() || b->second.erase(id) == 0) return NoSuchConfiguration();
  Response r;
  r.status = 204;
  return r;
}

Status Service::PutInternalObject(const std::string& bucket, const std::string& key,
                                  const std::string& data, const std::string& content_type) {
  std::string temp = store_.NewTempPath();
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    if (!out) return Status::Internal("write " + temp);
  }
  ObjectRecord rec;
  rec.bucket = bucket;
  rec.key = key;
  rec.size = data.size();
  rec.etag = QuotedEtag(DigestOf(DigestKind::kMd5, data));
  rec.last_modified = clock_.Now();
  rec.content_type = content_type;
  return store_.PutObject(rec, temp);
}

Status Service::WriteInventoryReport(const std::string& source, const InventoryConfig& c) {
  if (!store_.GetBucket(c.dest_bucket).ok()) {
    spdlog::warn("inventory {} of {}: destination bucket {} does not exist; no report", c.id,
                 source, c.dest_bucket);
    return Status::Ok();
  }
  Clock::TimePoint now = clock_.Now();
  std::string base = (c.dest_prefix.empty() ? "" : c.dest_prefix + "/") + source + "/" + c.id;
  std::vector<std::string> columns = InventoryColumns(c);
  nlohmann::json files = nlohmann::json::array();
  std::string symlinks;
  std::string csv;
  size_t rows = 0;
  auto flush = [&]() -> Status {
    if (rows == 0 && !files.empty()) return Status::Ok();
    THAW_ASSIGN_OR_RETURN(std::string gz, Gzip(csv));
    std::string key = base + "/data/" + RandomHex(32) + ".csv.gz";
    THAW_RETURN_IF_ERROR(PutInternalObject(c.dest_bucket, key, gz, "application/x-gzip"));
    files.push_back({{"key", key},
                     {"size", gz.size()},
                     {"MD5checksum", HexEncode(DigestOf(DigestKind::kMd5, gz))}});
    symlinks += "s3://" + c.dest_bucket + "/" + key + "\n";
    csv.clear();
    rows = 0;
    return Status::Ok();
  };
  std::string after;
  for (;;) {
    THAW_ASSIGN_OR_RETURN(auto page, store_.ListObjects(source, c.filter_prefix, after, 1000));
    for (ObjectRecord& rec : page) {
      AdvanceTo(rec.archive, now);  // the state as of now, as a GET would see it
      csv += InventoryCsvLine(rec, columns);
      if (++rows == kRowsPerDataFile) THAW_RETURN_IF_ERROR(flush());
    }
    if (page.size() < 1000) break;
    after = page.back().key;
  }
  THAW_RETURN_IF_ERROR(flush());
  std::string schema;
  for (const std::string& col : columns) schema += (schema.empty() ? "" : ", ") + col;
  nlohmann::json manifest = {
      {"sourceBucket", source},
      {"destinationBucket", "arn:aws:s3:::" + c.dest_bucket},
      {"version", "2016-11-30"},
      {"creationTimestamp",
       std::to_string(
           std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count())},
      {"fileFormat", "CSV"},
      {"fileSchema", schema},
      {"files", files}};
  std::string text = manifest.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string dated = base + "/" + FolderTime(now, false);
  THAW_RETURN_IF_ERROR(
      PutInternalObject(c.dest_bucket, dated + "/manifest.json", text, "application/json"));
  THAW_RETURN_IF_ERROR(PutInternalObject(c.dest_bucket, dated + "/manifest.checksum",
                                         HexEncode(DigestOf(DigestKind::kMd5, text)),
                                         "text/plain"));
  THAW_RETURN_IF_ERROR(
      PutInternalObject(c.dest_bucket, base + "/hive/dt=" + FolderTime(now, true) + "/symlink.txt",
                        symlinks, "text/plain"));
  spdlog::info("inventory {} of {}: report s3://{}/{}/manifest.json", c.id, source, c.dest_bucket,
               dated);
  return Status::Ok();
}

Status Service::RunInventories() {
  Clock::TimePoint now = clock_.Now();
  std::vector<std::pair<std::string, InventoryConfig>> due;
  {
    std::lock_guard<std::mutex> lock(inventory_mu_);
    for (auto& [bucket, configs] : inventories_) {
      for (auto& [id, c] : configs) {
        if (!c.enabled || c.next_run > now) continue;
        // The next one a period later on the sim clock (from when it was due, so that a
        // scaled day stays a day).
        c.next_run = (c.next_run == Clock::TimePoint{} ? now : c.next_run) + c.period;
        if (c.next_run <= now) c.next_run = now + c.period;
        due.emplace_back(bucket, c);
      }
    }
  }
  for (const auto& [bucket, c] : due) {
    if (Status s = WriteInventoryReport(bucket, c); !s.ok()) {
      spdlog::warn("inventory {} of {}: {}", c.id, bucket, s.ToString());
    }
  }
  return Status::Ok();
}

}  // namespace thaw::sim
