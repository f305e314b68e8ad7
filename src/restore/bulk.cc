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
  if (!options_.dry_run) return;
  int n = std::max(1, options_.plan_threads);
  for (int i = 0; i < n; ++i) workers_.emplace_back([this] { WorkLoop(); });
}

BulkRestore::~BulkRestore() {
  {
    std::lock_guard<std::mutex> g(mu_);
    stopping_ = true;
    item_cv_.notify_all();
  }
  for (std::thread& t : workers_) t.join();
}

void BulkRestore::Add(const ObjectRef& object, std::optional<s3::ObjectInfo> known) {
  progress_.Scanned();
  if (known && !known->archived() && known->storage_class != s3::kIntelligentTiering) {
    progress_.NotArchived();
    return;
  }
  if (!options_.dry_run) {
    // Tracked objects include the queued ones, so the window bounds the queue too.
    int64_t room = std::max(1, options_.window) - 1;
    progress_.WaitUnsettledAtMost(room, clock_, clock_.Now() + kForever);
    progress_.Track(object);
    Submit({object, std::move(known)});
    return;
  }
  std::unique_lock<std::mutex> l(mu_);
  room_cv_.wait(l,
                [&] { return queue_.size() < static_cast<size_t>(std::max(1, options_.window)); });
  queue_.push_back({object, std::move(known)});
  item_cv_.notify_one();
}

void BulkRestore::WorkLoop() {
  std::unique_lock<std::mutex> l(mu_);
  while (true) {
    item_cv_.wait(l, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping and drained
    Item item = std::move(queue_.front());
    queue_.pop_front();
    ++busy_;
    room_cv_.notify_all();  // at most the feeding thread and Finish wait there
    l.unlock();
    Plan(item);
    l.lock();
    --busy_;
    if (queue_.empty() && busy_ == 0) room_cv_.notify_all();  // what Finish waits for
  }
}

void BulkRestore::Submit(const Item& item) {
  SubmitOptions so = options_.submit;
  so.known_info = item.known;
  // After a crash the caller lists (or reads its manifest) again: an object whose pending row
  // was lost is simply submitted again, so Submit need not wait for that row's commit.
  so.durable_before_return = false;
  Result<std::shared_ptr<RestoreHandle>> handle = engine_.Submit(item.object, so);
  if (!handle.ok()) {
    progress_.Failed(item.object, handle.status());
    return;
  }
  // A request joined in flight may not change state for hours: count what it is now, unless
  // it is an earlier run's row still waiting for the HEAD that tells where it stands (the
  // engine publishes that answer, and progress counts it then).
  std::optional<RestoreRecord> now;
  if (!(*handle)->Rechecking()) now = (*handle)->Snapshot();
  progress_.Submitted(item.object, now);
}

void BulkRestore::Plan(const Item& item) {
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
  {
    std::unique_lock<std::mutex> l(mu_);
    bool done = clock_.WaitUntil(l, room_cv_, until, [&] { return queue_.empty() && busy_ == 0; });
    if (!done) return Status::DeadlineExceeded("objects still queued at the deadline");
  }
  if (options_.dry_run) return Status::Ok();
  if (!progress_.WaitUnsettledAtMost(0, clock_, until)) {
    return Status::DeadlineExceeded(std::to_string(progress_.Unsettled()) +
                                    " restores not finished before the deadline");
  }
  return Status::Ok();
}

}  // namespace thaw::restore
