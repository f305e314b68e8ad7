// `thaw ls s3://BUCKET[/PREFIX] [--recursive] [--json]`: lists objects with their storage class
// and restore state. Restore state comes from the listing's RestoreStatus when the endpoint
// returns it, else from one HEAD per archived object; Intelligent-Tiering objects are HEADed
// for their archive tier, which listings do not show.
#include <cstdio>
#include <iostream>

#include "cli/commands.h"
#include "cli/context.h"
#include "cli/output.h"
#include "common/s3_uri.h"
#include "common/strings.h"
#include "common/terminal_escape.h"
#include "common/time_format.h"
#include "s3/list.h"

namespace thaw::cli {
namespace {

struct LsFlags {
  std::string uri;
  bool recursive = false;
  bool json = false;
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

int RunLs(const GlobalFlags& globals, const LsFlags& flags) {
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
  cmd->add_option("uri", flags->uri, "s3://BUCKET[/PREFIX]")->required();
  cmd->add_flag("--recursive,-r", flags->recursive, "list every key under the prefix");
  cmd->add_flag("--json", flags->json, "one JSON object per line");
  cmd->final_callback([&globals, flags] { throw CLI::RuntimeError(RunLs(globals, *flags)); });
}

}  // namespace thaw::cli
