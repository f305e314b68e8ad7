// Tests for restore/cost: the price table holds the facts doc's values, estimates and totals
// add up, and expected durations follow the facts doc.
#include "restore/cost.h"

#include <gtest/gtest.h>

namespace thaw::restore {
namespace {

using s3::RestoreTier;
using std::chrono::hours;
using std::chrono::minutes;

constexpr uint64_t kGiB = uint64_t{1} << 30;

TEST(Cost, PriceTableMatchesFactsDoc) {
  struct Row {
    ArchiveKind kind;
    RestoreTier tier;
    double per_1000;
    double per_gb;
  };
  const Row rows[] = {
      {ArchiveKind::kGlacier, RestoreTier::kExpedited, 10.00, 0.03},
      {ArchiveKind::kGlacier, RestoreTier::kStandard, 0.05, 0.01},
      {ArchiveKind::kGlacier, RestoreTier::kBulk, 0.00, 0.00},
      {ArchiveKind::kDeepArchive, RestoreTier::kStandard, 0.10, 0.02},
      {ArchiveKind::kDeepArchive, RestoreTier::kBulk, 0.025, 0.0025},
      {ArchiveKind::kIntelligentArchive, RestoreTier::kExpedited, 0, 0},
      {ArchiveKind::kIntelligentArchive, RestoreTier::kStandard, 0, 0},
      {ArchiveKind::kIntelligentArchive, RestoreTier::kBulk, 0, 0},
      {ArchiveKind::kIntelligentDeepArchive, RestoreTier::kStandard, 0, 0},
      {ArchiveKind::kIntelligentDeepArchive, RestoreTier::kBulk, 0, 0},
  };
  for (const Row& r : rows) {
    auto p = PriceOf(r.kind, r.tier);
    ASSERT_TRUE(p.has_value()) << ArchiveKindName(r.kind) << " " << RestoreTierName(r.tier);
    EXPECT_DOUBLE_EQ(p->per_1000_requests_usd, r.per_1000) << ArchiveKindName(r.kind);
    EXPECT_DOUBLE_EQ(p->per_gb_usd, r.per_gb) << ArchiveKindName(r.kind);
  }
  EXPECT_FALSE(PriceOf(ArchiveKind::kDeepArchive, RestoreTier::kExpedited).has_value());
  EXPECT_FALSE(PriceOf(ArchiveKind::kIntelligentDeepArchive, RestoreTier::kExpedited).has_value());
}

TEST(Cost, KindOfStorageClass) {
  EXPECT_EQ(ArchiveKindOf("GLACIER", ""), ArchiveKind::kGlacier);
  EXPECT_EQ(ArchiveKindOf("DEEP_ARCHIVE", ""), ArchiveKind::kDeepArchive);
  EXPECT_EQ(ArchiveKindOf("INTELLIGENT_TIERING", "ARCHIVE_ACCESS"),
            ArchiveKind::kIntelligentArchive);
  EXPECT_EQ(ArchiveKindOf("INTELLIGENT_TIERING", "DEEP_ARCHIVE_ACCESS"),
            ArchiveKind::kIntelligentDeepArchive);
  EXPECT_FALSE(ArchiveKindOf("INTELLIGENT_TIERING", "").has_value());
  EXPECT_FALSE(ArchiveKindOf("STANDARD", "").has_value());
  EXPECT_FALSE(ArchiveKindOf("GLACIER_IR", "").has_value());
}

TEST(Cost, EstimatePerRequest) {
  CostEstimate g = EstimateCost(ArchiveKind::kGlacier, RestoreTier::kStandard, 10 * kGiB, 7);
  EXPECT_DOUBLE_EQ(g.request_usd, 0.00005);
  EXPECT_DOUBLE_EQ(g.retrieval_usd, 0.10);
  EXPECT_DOUBLE_EQ(g.restore_usd(), 0.10005);
  EXPECT_NEAR(g.storage_usd, 0.023 * 10 * 7 / 30.0, 1e-12);

  CostEstimate e = EstimateCost(ArchiveKind::kGlacier, RestoreTier::kExpedited, kGiB, 1);
  EXPECT_DOUBLE_EQ(e.restore_usd(), 0.01 + 0.03);

  CostEstimate d = EstimateCost(ArchiveKind::kDeepArchive, RestoreTier::kBulk, 1024 * kGiB, 7);
  EXPECT_DOUBLE_EQ(d.request_usd, 0.000025);
  EXPECT_DOUBLE_EQ(d.retrieval_usd, 2.56);

  CostEstimate it =
      EstimateCost(ArchiveKind::kIntelligentArchive, RestoreTier::kStandard, 1024 * kGiB, {});
  EXPECT_EQ(it.restore_usd(), 0);
  EXPECT_EQ(it.storage_usd, 0);  // the object moves back to Frequent Access: no extra copy
}

TEST(Cost, SummaryTotalsPerClassAndTier) {
  CostSummary s;
  s.Add(ArchiveKind::kGlacier, RestoreTier::kStandard, kGiB, 7);
  s.Add(ArchiveKind::kGlacier, RestoreTier::kStandard, 3 * kGiB, 7);
  s.Add(ArchiveKind::kDeepArchive, RestoreTier::kBulk, 4 * kGiB, 7);
  s.Add(ArchiveKind::kIntelligentArchive, RestoreTier::kStandard, kGiB, {});
  ASSERT_EQ(s.lines().size(), 3u);
  const auto& g = s.lines().at({"GLACIER", RestoreTier::kStandard});
  EXPECT_EQ(g.objects, 2);
  EXPECT_EQ(g.bytes, 4 * kGiB);
  EXPECT_NEAR(g.restore_usd, 2 * 0.00005 + 0.04, 1e-12);
  EXPECT_EQ(g.latest_eta, hours(5));
  const auto& d = s.lines().at({"DEEP_ARCHIVE", RestoreTier::kBulk});
  EXPECT_NEAR(d.restore_usd, 0.000025 + 0.01, 1e-12);
  CostSummary::Line t = s.Total();
  EXPECT_EQ(t.objects, 4);
  EXPECT_EQ(t.bytes, 9 * kGiB);
  EXPECT_NEAR(t.restore_usd, 2 * 0.00005 + 0.04 + 0.000025 + 0.01, 1e-12);
  EXPECT_EQ(t.latest_eta, hours(48));
}

TEST(Cost, ExpectedDurations) {
  auto g = [](RestoreTier t) { return ExpectedRestoreDuration(ArchiveKind::kGlacier, t); };
  EXPECT_EQ(g(RestoreTier::kExpedited).earliest, minutes(1));
  EXPECT_EQ(g(RestoreTier::kExpedited).latest, minutes(5));
  EXPECT_EQ(g(RestoreTier::kStandard).earliest, hours(3));
  EXPECT_EQ(g(RestoreTier::kStandard).latest, hours(5));
  EXPECT_EQ(g(RestoreTier::kBulk).earliest, hours(5));
  EXPECT_EQ(g(RestoreTier::kBulk).latest, hours(12));
  auto d = [](RestoreTier t) { return ExpectedRestoreDuration(ArchiveKind::kDeepArchive, t); };
  EXPECT_EQ(d(RestoreTier::kStandard).latest, hours(12));
  EXPECT_EQ(d(RestoreTier::kBulk).latest, hours(48));
  EXPECT_LT(d(RestoreTier::kStandard).earliest, d(RestoreTier::kStandard).latest);
  // Intelligent-Tiering tiers take as long as the classes they mirror.
  EXPECT_EQ(ExpectedRestoreDuration(ArchiveKind::kIntelligentArchive, RestoreTier::kBulk).latest,
            hours(12));
  EXPECT_EQ(
      ExpectedRestoreDuration(ArchiveKind::kIntelligentDeepArchive, RestoreTier::kBulk).latest,
      hours(48));
}

TEST(Cost, BatchOperationsFeesPerJobAndPerMillionObjects) {
  EXPECT_DOUBLE_EQ(BatchOperationsFeeUsd(1, 0), 0.25);
  EXPECT_DOUBLE_EQ(BatchOperationsFeeUsd(1, 1000000), 1.25);
  EXPECT_DOUBLE_EQ(BatchOperationsFeeUsd(2, 10000000), 10.50);
}

}  // namespace
}  // namespace thaw::restore
