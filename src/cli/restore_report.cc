// Rendering of restore progress, summaries and journal records (see restore_report.h).
#include "cli/restore_report.h"

#include <cstdio>
#include <iostream>
#include <map>

#include "cli/output.h"
#include "common/strings.h"
#include "common/time_format.h"

namespace thaw::cli {
namespace {

using restore::ProgressCounts;

std::string Dollars(double usd) {
  char buf[32];
  std::snprintf(buf, sizeof buf, usd < 0.01 && usd > 0 ? "$%.4f" : "$%.2f", usd);
  return buf;
}

// "4h05m", "12m30s", "45s".
std::string ShortDuration(std::chrono::seconds s) {
  long long t = std::max<long long>(0, s.count());
  char buf[32];
  if (t >= 3600) {
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", t / 3600, (t % 3600) / 60);
  } else if (t >= 60) {
    std::snprintf(buf, sizeof buf, "%lldm%02llds", t / 60, t % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%llds", t);
  }
  return buf;
}

// A string, or null when empty.
nlohmann::json OptString(const std::string& s) {
  return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s);
}

nlohmann::json OptTime(const std::optional<Clock::TimePoint>& t) {
  if (!t) return nullptr;
  return FormatIso8601(*t, /*with_millis=*/false);
}

}  // namespace

ProgressDisplay::ProgressDisplay(const restore::RestoreProgress& progress, bool tty,
                                 std::chrono::milliseconds plain_interval)
    : progress_(progress),
      tty_(tty),
      interval_(tty ? std::chrono::milliseconds(200) : plain_interval),
      start_(std::chrono::steady_clock::now()) {}

ProgressDisplay::~ProgressDisplay() {
  Stop();
}

void ProgressDisplay::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void ProgressDisplay::Stop() {
  {
    std::lock_guard<std::mutex> g(mu_);
    if (stop_) return;
    stop_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

std::string ProgressDisplay::Line() const {
  ProgressCounts c = progress_.Counts();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  char rate[32];
  std::snprintf(rate, sizeof rate, "%.0f/s", secs > 0 ? c.scanned / secs : 0.0);
  std::string line = "scanned " + std::to_string(c.scanned) + " (" + rate + ")  archived " +
                     std::to_string(c.archived) + "  requested " + std::to_string(c.requested) +
                     "  in progress " + std::to_string(c.in_progress) + "  restored " +
                     std::to_string(c.restored) + "  skipped " + std::to_string(c.skipped) +
                     "  failed " + std::to_string(c.failed) + "  " + HumanBytes(c.requested_bytes) +
                     "  " + Dollars(c.estimated_cost_usd);
  if (c.latest_eta) {
    auto left =
        std::chrono::duration_cast<std::chrono::seconds>(*c.latest_eta - Clock::Real().Now());
    line += "  ETA " + ShortDuration(left);
  }
  return line;
}

void ProgressDisplay::Loop() {
  std::unique_lock<std::mutex> l(mu_);
  while (true) {
    // Waits go through the clock, as everywhere in thaw.
    Clock::Real().WaitUntil(l, cv_, Clock::Real().Now() + interval_, [&] { return stop_; });
    std::string line = Line();
    if (tty_) {
      // Carriage return and erase-to-end-of-line: the bar stays on one line.
      std::cerr << "\r\033[K" << line << (stop_ ? "\n" : "") << std::flush;
    } else if (!stop_) {
      std::cerr << "thaw: " << line << "\n" << std::flush;
    }
    if (stop_) return;
  }
}

nlohmann::json SummaryJson(const ProgressCounts& c, const restore::CostSummary& dry_run,
                           const RunInfo& info) {
  nlohmann::json j;
  j["dry_run"] = info.dry_run;
  j["scanned"] = c.scanned;
  j["archived"] = c.archived;
  j["requested"] = c.requested;
  j["already_restored"] = c.already_restored;
  j["already_in_progress"] = c.already_in_progress;
  j["in_progress"] = c.in_progress;
  j["restored"] = c.restored;
  j["skipped"] = c.skipped;
  j["skipped_by_reason"] = c.skipped_by_reason;
  j["failed"] = c.failed;
  j["expired"] = c.expired;
  j["pending"] = c.pending;
  j["archived_bytes"] = c.archived_bytes;
  j["requested_bytes"] = c.requested_bytes;
  j["estimated_cost_usd"] = c.estimated_cost_usd;
  j["eta"] = OptTime(c.latest_eta);
  j["timed_out"] = info.timed_out;
  j["first_error"] = OptString(c.first_error);
  j["restore_concurrency"] =
      info.restore_concurrency ? nlohmann::json(*info.restore_concurrency) : nlohmann::json();
  if (info.dry_run) {
    nlohmann::json lines = nlohmann::json::array();
    for (const auto& [key, line] : dry_run.lines()) {
      lines.push_back(
          {{"class", key.first},
           {"tier", std::string(s3::RestoreTierName(key.second))},
           {"objects", line.objects},
           {"bytes", line.bytes},
           {"restore_usd", line.restore_usd},
           {"storage_usd", line.storage_usd},
           {"hours", std::chrono::duration<double, std::ratio<3600>>(line.latest_eta).count()}});
    }
    j["by_class"] = lines;
    restore::CostSummary::Line t = dry_run.Total();
    j["storage_usd"] = t.storage_usd;
  }
  return j;
}

std::string SummaryText(const ProgressCounts& c, const restore::CostSummary& dry_run,
                        const RunInfo& info) {
  std::string out;
  out += std::string(info.dry_run ? "dry run: " : "") + "scanned " + std::to_string(c.scanned) +
         " objects, " + std::to_string(c.archived) + " archived (" + HumanBytes(c.archived_bytes) +
         ")\n";
  std::string skipped;
  for (const auto& [reason, n] : c.skipped_by_reason) {
    skipped += (skipped.empty() ? "" : ", ") + reason + " " + std::to_string(n);
  }
  std::vector<std::vector<std::string>> rows = {
      {"  " + std::string(info.dry_run ? "would request" : "requested"),
       std::to_string(c.requested), HumanBytes(c.requested_bytes)},
      {"  already restored", std::to_string(c.already_restored), ""},
      {"  already running", std::to_string(c.already_in_progress), ""},
      {"  skipped", std::to_string(c.skipped), skipped},
      {"  failed", std::to_string(c.failed), c.first_error},
  };
  if (!info.dry_run) {
    rows.push_back({"  in progress now", std::to_string(c.in_progress), ""});
    rows.push_back({"  restored now", std::to_string(c.restored), ""});
  }
  if (c.pending > 0) rows.push_back({"  not settled", std::to_string(c.pending), ""});
  out += FormatTable(rows);
  if (info.dry_run && !dry_run.lines().empty()) {
    std::vector<std::vector<std::string>> t = {
        {"  class", "tier", "objects", "size", "restore cost", "copy storage", "done within"}};
    auto add = [&](const std::string& cls, const std::string& tier,
                   const restore::CostSummary::Line& l) {
      t.push_back({"  " + cls, tier, std::to_string(l.objects), HumanBytes(l.bytes),
                   Dollars(l.restore_usd), Dollars(l.storage_usd),
                   ShortDuration(std::chrono::duration_cast<std::chrono::seconds>(l.latest_eta))});
    };
    for (const auto& [key, line] : dry_run.lines()) {
      add(key.first, std::string(s3::RestoreTierName(key.second)), line);
    }
    add("total", "", dry_run.Total());
    out += FormatTable(t);
  }
  out += std::string(info.dry_run ? "estimated cost: " : "estimated cost of the requests: ") +
         Dollars(c.estimated_cost_usd) + " (request and retrieval fees, us-east-1 prices)";
  if (c.latest_eta) out += "; expected done by " + FormatIso8601(*c.latest_eta, false);
  out += "\n";
  if (info.timed_out) out += "timed out: restores go on in S3; `thaw status` follows them\n";
  return out;
}

nlohmann::json RecordJson(const restore::RestoreRecord& r) {
  nlohmann::json j;
  j["bucket"] = r.object.bucket;
  j["key"] = r.object.key;
  j["version_id"] = OptString(r.object.version_id);
  j["state"] = std::string(restore::StateName(r.state));
  j["tier"] = r.tier ? nlohmann::json(std::string(s3::RestoreTierName(*r.tier))) : nullptr;
  j["days"] = r.days ? nlohmann::json(*r.days) : nullptr;
  j["requested_at"] = OptTime(r.requested_at);
  j["eta"] = OptTime(r.eta);
  j["restore_expiry"] = OptTime(r.restore_expiry);
  j["source"] = std::string(restore::SourceName(r.source));
  j["error"] = OptString(r.error);
  j["reason"] = OptString(
      r.reason == restore::Reason::kNone ? "" : std::string(restore::ReasonName(r.reason)));
  j["storage_class"] = r.storage_class;
  j["size"] = r.size_bytes;
  j["note"] = OptString(r.note);
  j["updated_at"] = FormatIso8601(r.updated_at, false);
  return j;
}

std::string RecordsTable(const std::vector<restore::RestoreRecord>& rows) {
  std::vector<std::vector<std::string>> t = {
      {"STATE", "TIER", "DAYS", "REQUESTED", "ETA / EXPIRY", "OBJECT"}};
  std::map<std::string, int> by_state;
  for (const auto& r : rows) {
    std::string when;
    if (r.state == restore::State::kRestored && r.restore_expiry) {
      when = "until " + FormatIso8601(*r.restore_expiry, false);
    } else if (r.eta && !restore::IsTerminal(r.state)) {
      when = "eta " + FormatIso8601(*r.eta, false);
    }
    std::string obj = r.object.ToString();
    if (!r.error.empty()) obj += "  (" + r.error + ")";
    t.push_back({std::string(restore::StateName(r.state)),
                 r.tier ? std::string(s3::RestoreTierName(*r.tier)) : "-",
                 r.days ? std::to_string(*r.days) : "-",
                 r.requested_at ? FormatIso8601(*r.requested_at, false) : "-",
                 when.empty() ? "-" : when, obj});
    ++by_state[std::string(restore::StateName(r.state))];
  }
  std::string out = rows.empty() ? "" : FormatTable(t);
  std::string counts;
  for (const auto& [s, n] : by_state)
    counts += (counts.empty() ? "" : ", ") + s + " " + std::to_string(n);
  out += std::to_string(rows.size()) + " restores in the journal" +
         (counts.empty() ? "" : ": " + counts) + "\n";
  return out;
}

}  // namespace thaw::cli
