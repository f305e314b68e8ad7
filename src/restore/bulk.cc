// BulkRestore (see bulk.h).
#include "restore/bulk.h"

namespace thaw::restore {
namespace {
// "No deadline" for clock waits, bounded so RealClock arithmetic never overflows.
constexpr auto kForever = std::chrono::hours(24 * 365);
}  // namespace

BulkRestore::BulkRestore(Engine& engine, RestoreProgress& progress, Clock& clock,
                         BulkOptions options)
    : engine_(engine), progress_(progress), clock_(clock), options_(std::move(options)) {
  if (options_.dry_run) {
    int n = std::max(1, options_.plan_threads);
    for (int i = 0; i < n; ++i) planners_.emplace_back([this] { PlanLoop(); });
  }
}

BulkRestore::~BulkRestore() {
  {
    std::lock_guard<std::mutex> g(mu_);
    stopping_ = true;
    cv_.notify_all();
  }
  for (std::thread& t : planners_) t.join();
}

void BulkRestore::Add(const ObjectRef& object, std::optional<s3::ObjectInfo> known) {
  progress_.Scanned();
  if (known && !known->archived() && known->storage_class != s3::kIntelligentTiering) {
    progress_.NotArchived();
    return;
  }
  if (options_.dry_run) {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [&] { return queue_.size() < static_cast<size_t>(options_.window); });
    queue_.push_back({object, std::move(known)});
    cv_.notify_all();
    return;
  }
  int64_t room = std::max(1, options_.window) - 1;
  progress_.WaitUnsettledAtMost(room, clock_, clock_.Now() + kForever);
  SubmitOptions so = options_.submit;
  so.known_info = std::move(known);
  progress_.Track(object);
  Result<std::shared_ptr<RestoreHandle>> handle = engine_.Submit(object, so);
  if (!handle.ok()) {
    progress_.Failed(object, handle.status());
    return;
  }
  // A request joined in flight may not change state for hours: count what it is now.
  progress_.Observe((*handle)->Snapshot());
}

void BulkRestore::PlanLoop() {
  std::unique_lock<std::mutex> l(mu_);
  while (true) {
    cv_.wait(l, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping and drained
    PlanItem item = std::move(queue_.front());
    queue_.pop_front();
    ++busy_;
    cv_.notify_all();
    l.unlock();
    PlanOne(item);
    l.lock();
    --busy_;
    cv_.notify_all();
  }
}

void BulkRestore::PlanOne(const PlanItem& item) {
  SubmitOptions so = options_.submit;
  so.known_info = item.known;
  Result<Decision> d = engine_.Plan(item.object, so);
  if (!d.ok()) {
    progress_.Failed(item.object, d.status());
    return;
  }
  progress_.Planned(*d);
}

Status BulkRestore::Finish(std::optional<Clock::TimePoint> deadline) {
  Clock::TimePoint until = deadline.value_or(clock_.Now() + kForever);
  if (options_.dry_run) {
    std::unique_lock<std::mutex> l(mu_);
    bool done = clock_.WaitUntil(l, cv_, until, [&] { return queue_.empty() && busy_ == 0; });
    if (!done) return Status::DeadlineExceeded("dry run did not finish before the deadline");
    return Status::Ok();
  }
  if (!progress_.WaitUnsettledAtMost(0, clock_, until)) {
    return Status::DeadlineExceeded(std::to_string(progress_.Unsettled()) +
                                    " restores not finished before the deadline");
  }
  return Status::Ok();
}

}  // namespace thaw::restore
