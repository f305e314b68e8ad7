// Cost model and expected restore durations: the one table of prices per archive class and
// tier (facts doc, us-east-1), estimates per request and totals for --dry-run, and the restore
// times the tracker and ETAs are derived from.
//
// Prices are estimates: they ignore free tiers, other regions and request-count discounts. The
// estimate of a request is what the restore itself costs (per-request fee plus per-GB
// retrieval); the storage of the restored copy for Days is reported apart because it depends on
// how long the copy is kept, not on the restore.
//
// Thread safety: pure functions; CostSummary is a plain value (not synchronised).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>

#include "common/clock.h"
#include "s3/types.h"

namespace thaw::restore {

// Where an archived object lives, which decides tiers, Days and prices.
enum class ArchiveKind {
  kGlacier,                 // GLACIER (Flexible Retrieval)
  kDeepArchive,             // DEEP_ARCHIVE
  kIntelligentArchive,      // INTELLIGENT_TIERING, ARCHIVE_ACCESS
  kIntelligentDeepArchive,  // INTELLIGENT_TIERING, DEEP_ARCHIVE_ACCESS
};
// nullopt for readable objects (STANDARD, GLACIER_IR, Intelligent-Tiering frequent tiers...).
std::optional<ArchiveKind> ArchiveKindOf(std::string_view storage_class,
                                         std::string_view archive_status);
// "GLACIER", "DEEP_ARCHIVE", "INTELLIGENT_TIERING/ARCHIVE_ACCESS", ...
std::string_view ArchiveKindName(ArchiveKind k);
bool IsIntelligentTiering(ArchiveKind k);
// DEEP_ARCHIVE and Intelligent-Tiering's Deep Archive Access tier have no Expedited.
bool SupportsExpedited(ArchiveKind k);

struct Price {
  double per_1000_requests_usd = 0;
  double per_gb_usd = 0;  // per GiB retrieved (AWS bills "GB" as 2^30 bytes)
};
// The price table. Expedited on a Deep Archive kind has no price (nullopt).
std::optional<Price> PriceOf(ArchiveKind kind, s3::RestoreTier tier);

// S3 Standard storage of the restored copy, per GB-month (us-east-1, first 50 TB).
inline constexpr double kStandardStorageUsdPerGbMonth = 0.023;

// S3 Batch Operations' own fees, on top of the restore requests and retrievals its tasks make
// (aws.amazon.com/s3/pricing, "Management & Insights", us-east-1, as of 2026-12; facts doc):
// $0.25 per job and $1.00 per million objects processed.
inline constexpr double kBatchOperationsPerJobUsd = 0.25;
inline constexpr double kBatchOperationsPerMillionObjectsUsd = 1.00;
// The fees of `jobs` jobs holding `objects` objects in all.
double BatchOperationsFeeUsd(int jobs, uint64_t objects);

struct CostEstimate {
  double request_usd = 0;    // per-request fee
  double retrieval_usd = 0;  // per-GB retrieval
  double storage_usd = 0;    // restored copy kept for Days (not part of restore_usd)
  // What a restore costs by itself: the number budgets and records use.
  double restore_usd() const { return request_usd + retrieval_usd; }
};
CostEstimate EstimateCost(ArchiveKind kind, s3::RestoreTier tier, uint64_t size_bytes,
                          std::optional<int> days);

// How long a restore takes (facts doc). `earliest` is when a restore may first be done (the
// tracker's first HEAD); `latest` is when it should be done (the ETA).
struct ExpectedDuration {
  Clock::Duration earliest;
  Clock::Duration latest;
};
ExpectedDuration ExpectedRestoreDuration(ArchiveKind kind, s3::RestoreTier tier);

// Totals per class and tier for --dry-run and progress summaries.
class CostSummary {
 public:
  struct Line {
    int objects = 0;
    uint64_t bytes = 0;
    double restore_usd = 0;
    double storage_usd = 0;
    Clock::Duration latest_eta{0};  // the slowest expected duration among them
  };
  using Key = std::pair<std::string, s3::RestoreTier>;  // (ArchiveKindName, tier)

  void Add(ArchiveKind kind, s3::RestoreTier tier, uint64_t size_bytes, std::optional<int> days);
  // `objects` objects of `total_bytes` together (fees are linear in both).
  void AddMany(ArchiveKind kind, s3::RestoreTier tier, uint64_t objects, uint64_t total_bytes,
               std::optional<int> days);
  const std::map<Key, Line>& lines() const { return lines_; }
  Line Total() const;

 private:
  std::map<Key, Line> lines_;
};

}  // namespace thaw::restore
