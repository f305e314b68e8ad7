// `thaw stat s3://BUCKET/KEY [--json]`: one object's HeadObject answer: size, ETag, storage
// class, archive tier, restore state and expiry, version, user metadata.
#include <iostream>

#include "cli/commands.h"
#include "cli/context.h"
#include "cli/output.h"
#include "common/s3_uri.h"
#include "common/terminal_escape.h"
#include "common/time_format.h"

namespace thaw::cli {
namespace {

struct StatFlags {
  std::string uri;
  std::string version_id;
  bool json = false;
};

int RunStat(const GlobalFlags& globals, const StatFlags& flags) {
  auto uri = ParseS3Uri(flags.uri);
  if (!uri.ok()) return ReportError(uri.status());
  if (uri->key.empty()) {
    return ReportError(Status::InvalidArgument("'" + flags.uri + "' names no object key"));
  }
  auto client = MakeClient(globals);
  if (!client.ok()) return ReportError(client.status());
  auto info = (*client)->HeadObject({uri->bucket, uri->key, flags.version_id});
  if (!info.ok()) {
    if (info.status().IsNotFound()) {
      std::cerr << "thaw: " << EscapeForTerminal(uri->ToString()) << ": not found\n";
      return kExitNotFound;
    }
    return ReportError(info.status());
  }
  nlohmann::json j = ObjectInfoJson(*info);
  if (flags.json) {
    std::cout << JsonText(j) << "\n";
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows = {
      {"key:", info->key},
      {"size:", std::to_string(info->size)},
      {"etag:", info->etag},
      {"last modified:", FormatIso8601(info->last_modified, false)},
      {"storage class:", info->storage_class},
  };
  if (!info->archive_status.empty()) rows.push_back({"archive status:", info->archive_status});
  rows.push_back(
      {"restore:", RestoreText(info->storage_class, info->archive_status, info->restore)});
  if (!info->version_id.empty()) rows.push_back({"version id:", info->version_id});
  for (const auto& [k, v] : info->metadata) rows.push_back({"meta " + k + ":", v});
  std::cout << FormatTable(rows);
  return kExitOk;
}

}  // namespace

void RegisterStat(CLI::App& app, GlobalFlags& globals) {
  auto flags = std::make_shared<StatFlags>();
  CLI::App* cmd = app.add_subcommand("stat", "show one object's metadata and restore state");
  cmd->add_option("uri", flags->uri, "s3://BUCKET/KEY")->required();
  cmd->add_option("--version-id", flags->version_id, "a specific object version");
  cmd->add_flag("--json", flags->json, "print one JSON object");
  cmd->final_callback([&globals, flags] { throw CLI::RuntimeError(RunStat(globals, *flags)); });
}

}  // namespace thaw::cli
