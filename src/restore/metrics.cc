// RestoreMetrics (see metrics.h).
#include "restore/metrics.h"

#include "common/metrics.h"

namespace thaw::restore {
namespace {

std::string StateLabel(int s) {
  return "state=\"" + std::string(StateName(static_cast<State>(s))) + "\"";
}

}  // namespace

void RestoreMetrics::Observe(const RestoreRecord& record) {
  std::string key = record.object.ToString();
  std::lock_guard lock(mu_);
  auto it = open_.find(key);
  // on_change also reports updates that keep the state (a new check time): only changes count.
  if (it != open_.end() && it->second == record.state) return;
  entered_[static_cast<int>(record.state)].fetch_add(1, std::memory_order_relaxed);
  if (IsTerminal(record.state)) {
    if (it != open_.end()) open_.erase(it);
  } else if (it != open_.end()) {
    it->second = record.state;
  } else {
    open_.emplace(std::move(key), record.state);
  }
}

void RestoreMetrics::AppendTo(std::string& out, const EngineStats& stats) const {
  AppendMetric(out, "thaw_engine_requests_submitted_total", "counter",
               "new restore requests (de-duplicated submits not counted)", stats.submitted);
  AppendMetric(out, "thaw_engine_requests_deduplicated_total", "counter",
               "submits that joined a request already in flight", stats.deduplicated);
  AppendMetric(out, "thaw_engine_restore_calls_total", "counter", "RestoreObject calls sent",
               stats.restore_calls);
  AppendMetric(out, "thaw_engine_head_calls_total", "counter", "HeadObject calls sent",
               stats.head_calls);
  AppendMetric(out, "thaw_engine_in_flight", "gauge", "restore requests not yet finished",
               stats.in_flight);
  AppendMetric(out, "thaw_restore_requested_bytes_total", "counter",
               "bytes of the restores this process requested",
               static_cast<double>(stats.bytes_requested));
  AppendMetric(out, "thaw_restore_estimated_cost_usd_total", "counter",
               "estimated request and retrieval fees of the restores this process requested "
               "(US dollars, us-east-1 prices)",
               stats.cost_requested_usd);
  AppendMetricHeader(out, "thaw_restores_total", "counter",
                     "restores this process saw enter each state");
  for (int s = 0; s < kStates; ++s) {
    AppendSample(out, "thaw_restores_total", StateLabel(s),
                 static_cast<double>(entered_[s].load()));
  }
  std::array<uint64_t, kStates> now{};
  {
    std::lock_guard lock(mu_);
    for (const auto& [key, state] : open_) ++now[static_cast<int>(state)];
  }
  AppendMetricHeader(out, "thaw_restores_in_flight", "gauge",
                     "restores this process follows that have not finished, by state");
  for (int s = 0; s < kStates; ++s) {
    if (!IsTerminal(static_cast<State>(s))) {
      AppendSample(out, "thaw_restores_in_flight", StateLabel(s), static_cast<double>(now[s]));
    }
  }
}

}  // namespace thaw::restore
