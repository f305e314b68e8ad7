// Restore metrics for /metrics, the same in every long-running process that restores (`thaw
// serve`, `thaw mount`): the engine's counters (EngineStats) and the restores this process saw
// change state, observed through EngineOptions::on_change.
//   thaw_engine_*                         the engine's request counters (see AppendTo)
//   thaw_restores_total{state="restored"} state changes into each state since start
//   thaw_restores_in_flight{state="in_progress"} this process's restores not yet finished, by state
//   thaw_restore_requested_bytes_total, thaw_restore_estimated_cost_usd_total
//
// Thread safety: Observe may be called from engine threads; AppendTo from any thread.
#pragma once

#include <array>
#include <atomic>
#include <mutex>
#include <string>
#include <unordered_map>

#include "restore/engine.h"
#include "restore/record.h"

namespace thaw::restore {

class RestoreMetrics {
 public:
  // Cheap (one map update under a mutex), as on_change requires.
  void Observe(const RestoreRecord& record);
  void AppendTo(std::string& out, const EngineStats& stats) const;

 private:
  static constexpr int kStates = static_cast<int>(State::kSkipped) + 1;
  std::array<std::atomic<uint64_t>, kStates> entered_{};
  mutable std::mutex mu_;
  // Objects not yet in a terminal state and the state they are in: bounded by what is in
  // flight, so it does not grow with the journal.
  std::unordered_map<std::string, State> open_;
};

}  // namespace thaw::restore
