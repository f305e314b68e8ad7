// JSON and table rendering for CLI output (see output.h).
#include "cli/output.h"

#include "common/terminal_escape.h"
#include "common/time_format.h"

namespace thaw::cli {

namespace {
nlohmann::json RestoreJson(bool archived, const std::optional<s3::RestoreStatus>& restore,
                           nlohmann::json& expiry) {
  expiry = nullptr;
  if (!archived) return nullptr;
  s3::RestoreStatus r = restore.value_or(s3::RestoreStatus{});
  if (r.state == s3::RestoreStatus::State::kRestored && r.expiry) {
    expiry = FormatIso8601(*r.expiry, /*with_millis=*/false);
  }
  return std::string(s3::RestoreStateName(r.state));
}
}  // namespace

nlohmann::json ObjectSummaryJson(const s3::ObjectSummary& o, const std::string& archive_status) {
  nlohmann::json j;
  j["key"] = o.key;
  j["size"] = o.size;
  j["storage_class"] = o.storage_class;
  nlohmann::json expiry;
  j["restore"] = RestoreJson(s3::IsArchived(o.storage_class, archive_status), o.restore, expiry);
  j["restore_expiry"] = expiry;
  if (!archive_status.empty()) j["archive_status"] = archive_status;
  return j;
}

nlohmann::json ObjectInfoJson(const s3::ObjectInfo& info) {
  nlohmann::json j;
  j["bucket"] = info.bucket;
  j["key"] = info.key;
  j["size"] = info.size;
  j["storage_class"] = info.storage_class;
  nlohmann::json expiry;
  j["restore"] = RestoreJson(info.archived(), info.restore, expiry);
  j["restore_expiry"] = expiry;
  j["etag"] = info.etag;
  j["last_modified"] = FormatIso8601(info.last_modified, /*with_millis=*/false);
  j["archive_status"] =
      info.archive_status.empty() ? nlohmann::json(nullptr) : nlohmann::json(info.archive_status);
  j["version_id"] =
      info.version_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(info.version_id);
  j["metadata"] = nlohmann::json::object();
  for (const auto& [k, v] : info.metadata) j["metadata"][k] = v;
  return j;
}

std::string RestoreText(const std::string& storage_class, const std::string& archive_status,
                        const std::optional<s3::RestoreStatus>& restore) {
  if (!s3::IsArchived(storage_class, archive_status)) return "-";
  s3::RestoreStatus r = restore.value_or(s3::RestoreStatus{});
  if (r.state == s3::RestoreStatus::State::kRestored && r.expiry) {
    return "restored until " + FormatIso8601(*r.expiry, /*with_millis=*/false);
  }
  return std::string(s3::RestoreStateName(r.state));
}

std::string FormatTable(const std::vector<std::vector<std::string>>& raw_rows) {
  std::vector<std::vector<std::string>> rows;
  rows.reserve(raw_rows.size());
  for (const auto& raw : raw_rows) {
    std::vector<std::string>& row = rows.emplace_back();
    for (const std::string& cell : raw) row.push_back(EscapeForTerminal(cell));
  }
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      out += row[i];
      if (i + 1 < row.size()) out += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    out += "\n";
  }
  return out;
}

std::string JsonText(const nlohmann::json& j) {
  return j.dump(-1, ' ', /*ensure_ascii=*/true, nlohmann::json::error_handler_t::replace);
}

}  // namespace thaw::cli
