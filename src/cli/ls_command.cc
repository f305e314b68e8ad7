// `thaw ls s3://BUCKET[/PREFIX] [--recursive] [--json]`: lists objects with their storage class
// and restore state. Restore state comes from the listing's RestoreStatus when the endpoint
// returns it, else from one HEAD per archived object; Intelligent-Tiering objects are HEADed
// for their archive tier, which listings do not show.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "cli/commands.h"
#include "cli/context.h"
#include "cli/output.h"
#include "common/s3_uri.h"
#include "common/strings.h"
#include "common/terminal_escape.h"
#include "common/time_format.h"
#include "restore/inventory.h"
#include "s3/list.h"

namespace thaw::cli {
namespace {

struct LsFlags {
  std::string uri;
  bool recursive = false;
  bool json = false;
  std::string inventory;
  int depth = 1;
  int days = 1;
};

// Fills in what the listing could not say about one object.
struct Enriched {
  std::optional<s3::RestoreStatus> restore;
  std::string archive_status;
};

Result<Enriched> Enrich(s3::S3Client& client, const std::string& bucket, const s3::ObjectSummary& o,
                        const s3::ObjectLister& lister) {
  Enriched e{o.restore, ""};
  if (lister.Complete(o)) return e;
  auto info = client.HeadObject({bucket, o.key, ""});
  if (!info.ok()) return info.status();
  e.archive_status = info->archive_status;
  e.restore = info->restore;
  return e;
}

void PrintHuman(const s3::ObjectSummary& o, const Enriched& e) {
  std::string cls = o.storage_class;
  if (!e.archive_status.empty()) cls += "/" + e.archive_status;
  std::string date = FormatIso8601(o.last_modified, false);
  date = date.substr(0, 10) + " " + date.substr(11, 8);
  // Keys and the server's storage class are untrusted: escaped, one line per object.
  std::printf("%-19s  %12llu  %-19s  %-35s  %s\n", date.c_str(),
              static_cast<unsigned long long>(o.size), EscapeForTerminal(cls).c_str(),
              RestoreText(o.storage_class, e.archive_status, e.restore).c_str(),
              EscapeForTerminal(o.key).c_str());
}

std::string Usd(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "$%.2f", v);
  return buf;
}

// `thaw ls --inventory MANIFEST [s3://BUCKET[/PREFIX]]`: what the report holds by storage class
// and prefix, and what restoring its archived objects would cost per tier.
int RunLsInventory(const GlobalFlags& globals, const LsFlags& flags) {
  S3Uri uri;
  if (!flags.uri.empty()) {
    auto u = ParseS3Uri(flags.uri);
    if (!u.ok()) return ReportError(u.status());
    uri = *u;
  }
  auto client = MakeClient(globals);
  if (!client.ok()) return ReportError(client.status());
  auto report = restore::InventoryReport::Open(
      flags.inventory, client->get(), uri.bucket,
      (std::filesystem::temp_directory_path() / ("thaw-inventory-" + std::to_string(getpid())))
          .string());
  if (!report.ok()) return ReportError(report.status());
  restore::InventoryTally tally(std::max(0, flags.depth));
  restore::InventorySelector all;
  all.prefix = uri.key;
  Status s = (*report)->ForEachRow([&](const restore::InventoryRow& row) {
    if (!row.is_delete_marker && row.is_latest && all.Matches(row)) tally.Add(row);
    return Status::Ok();
  });
  if (!s.ok()) return ReportError(s);
  const s3::RestoreTier tiers[] = {s3::RestoreTier::kBulk, s3::RestoreTier::kStandard,
                                   s3::RestoreTier::kExpedited};
  if (flags.json) {
    nlohmann::json j;
    j["source_bucket"] = (*report)->manifest().source_bucket;
    j["objects"] = tally.rows();
    for (const auto& [cls, g] : tally.by_class()) {
      j["by_storage_class"][cls] = {{"objects", g.objects}, {"bytes", g.bytes}};
    }
    for (const auto& [prefix, g] : tally.by_prefix()) {
      j["by_prefix"][prefix] = {{"objects", g.objects}, {"bytes", g.bytes}};
    }
    for (s3::RestoreTier t : tiers) {
      uint64_t left_out = 0;
      restore::CostSummary c = tally.Cost(t, flags.days, &left_out);
      auto total = c.Total();
      j["restore_cost"][std::string(s3::RestoreTierName(t))] = {{"objects", total.objects},
                                                                {"bytes", total.bytes},
                                                                {"restore_usd", total.restore_usd},
                                                                {"storage_usd", total.storage_usd},
                                                                {"not_eligible_objects", left_out}};
    }
    std::cout << JsonText(j) << "\n";
    return kExitOk;
  }
  std::printf("inventory of %s: %llu objects\n\n",
              EscapeForTerminal((*report)->manifest().source_bucket).c_str(),
              static_cast<unsigned long long>(tally.rows()));
  std::printf("%-40s  %14s  %12s\n", "STORAGE CLASS", "OBJECTS", "SIZE");
  for (const auto& [cls, g] : tally.by_class()) {
    std::printf("%-40s  %14llu  %12s\n", EscapeForTerminal(cls).c_str(),
                static_cast<unsigned long long>(g.objects), HumanBytes(g.bytes).c_str());
  }
  std::printf("\n%-40s  %14s  %12s\n", "PREFIX", "OBJECTS", "SIZE");
  for (const auto& [prefix, g] : tally.by_prefix()) {
    std::printf("%-40s  %14llu  %12s\n",
                prefix.empty() ? "(top level)" : EscapeForTerminal(prefix).c_str(),
                static_cast<unsigned long long>(g.objects), HumanBytes(g.bytes).c_str());
  }
  std::printf("\nrestoring every archived object (%d day%s):\n", flags.days,
              flags.days == 1 ? "" : "s");
  std::printf("%-10s  %14s  %12s  %14s  %14s  %s\n", "TIER", "OBJECTS", "SIZE", "RESTORE",
              "STORAGE", "NOTE");
  for (s3::RestoreTier t : tiers) {
    uint64_t left_out = 0;
    auto total = tally.Cost(t, flags.days, &left_out).Total();
    std::string note = left_out ? std::to_string(left_out) + " Deep Archive objects cannot" : "";
    std::printf("%-10s  %14llu  %12s  %14s  %14s  %s\n",
                std::string(s3::RestoreTierName(t)).c_str(),
                static_cast<unsigned long long>(total.objects), HumanBytes(total.bytes).c_str(),
                Usd(total.restore_usd).c_str(), Usd(total.storage_usd).c_str(), note.c_str());
  }
  return kExitOk;
}

int RunLs(const GlobalFlags& globals, const LsFlags& flags) {
  if (!flags.inventory.empty()) return RunLsInventory(globals, flags);
  if (flags.uri.empty()) return ReportError(Status::InvalidArgument("give s3://BUCKET[/PREFIX]"));
  auto uri = ParseS3Uri(flags.uri);
  if (!uri.ok()) return ReportError(uri.status());
  auto client = MakeClient(globals);
  if (!client.ok()) return ReportError(client.status());

  s3::ListObjectsRequest req;
  req.bucket = uri->bucket;
  req.prefix = uri->key;
  if (!flags.recursive) {
    req.delimiter = "/";
    // "s3://b/dir" lists the contents of dir/ when dir is a directory, as `aws s3 ls` does not;
    // users expect ls of a directory to show what is inside.
    if (!req.prefix.empty() && !EndsWith(req.prefix, "/")) {
      s3::ListObjectsRequest probe = req;
      probe.prefix += "/";
      probe.max_keys = 1;
      auto page = (*client)->ListObjectsV2(probe);
      if (page.ok() && (!page->objects.empty() || !page->common_prefixes.empty())) {
        req.prefix += "/";
      }
    }
  }
  s3::ObjectLister lister(**client, req);
  s3::ListObjectsPage page;
  while (true) {
    auto more = lister.Next(&page);
    if (!more.ok()) return ReportError(more.status());
    if (!*more) break;
    for (const auto& p : page.common_prefixes) {
      if (flags.json) {
        std::cout << JsonText(nlohmann::json{{"prefix", p}}) << "\n";
      } else {
        std::printf("%-19s  %12s  %-19s  %-35s  %s\n", "", "PRE", "", "",
                    EscapeForTerminal(p).c_str());
      }
    }
    for (const auto& o : page.objects) {
      auto e = Enrich(**client, req.bucket, o, lister);
      if (!e.ok()) return ReportError(e.status());
      if (flags.json) {
        s3::ObjectSummary with_restore = o;
        with_restore.restore = e->restore;
        std::cout << JsonText(ObjectSummaryJson(with_restore, e->archive_status)) << "\n";
      } else {
        PrintHuman(o, *e);
      }
    }
    std::cout.flush();
    std::fflush(stdout);
  }
  return kExitOk;
}

}  // namespace

void RegisterLs(CLI::App& app, GlobalFlags& globals) {
  auto flags = std::make_shared<LsFlags>();
  CLI::App* cmd = app.add_subcommand("ls", "list objects with storage class and restore state");
  cmd->add_option("uri", flags->uri, "s3://BUCKET[/PREFIX]");
  cmd->add_option("--inventory", flags->inventory,
                  "summarise an S3 Inventory report (its manifest.json, local or s3://) by "
                  "storage class and prefix, with the cost of restoring it per tier");
  cmd->add_option("--depth", flags->depth, "with --inventory: path segments per prefix group")
      ->capture_default_str();
  cmd->add_option("--days", flags->days,
                  "with --inventory: days of restored copy in the cost table")
      ->capture_default_str();
  cmd->add_flag("--recursive,-r", flags->recursive, "list every key under the prefix");
  cmd->add_flag("--json", flags->json, "one JSON object per line");
  cmd->final_callback([&globals, flags] { throw CLI::RuntimeError(RunLs(globals, *flags)); });
}

}  // namespace thaw::cli
