// The mount's probe: two GETs soon after mount start (or a first read's GET in their place) that
// tell a new mount's first reads what a GET costs on its endpoint.
//
// A mount's first read of a large file fans out into parallel ranged GETs at once (prefetch.h).
// Against S3 that is what makes it fast: every GET waits 20-30 ms for its first byte, all of
// them at the same time. Against a server that works long on each GET before its first byte and
// serves one GET at a time (moto copies the whole object for every ranged GET: 0.2 s for 64 MiB,
// the second GET's first byte 0.2 s after the first's), each of those GETs costs that work
// again, in a row: the first file of a new mount went out as 25 GETs at 10 MiB/s, where one GET
// brings it at 190. The reader sizes its parts to what a GET costs (LinkEstimate::LeastPartBytes)
// once it has timed GETs; a file whose lookup listed its directory learns it from its early GET
// (early_get.h); a file in a directory listed already (the root, which the mount lists when it
// starts) had nothing to learn from.
//
// So kQuiet after the connection warm-up (connection_warmup.h: the GETs then run on warm
// connections and time the endpoint rather than handshakes), the mount sends two GETs at once of
// the first MiB of the largest readable object the root listing's first page shows, and judges
// them (JudgeProbe) as soon as their times allow:
// - the first answer's body took longer than LinkEstimate::kLeastPartShare of its wait for the
//   first byte: a GET costs no more than its bytes (S3: 20-30 ms, then 11 ms for a MiB), the
//   reader plans as without a probe, decided within that eighth of a wait;
// - else the least part is LeastPartFor that GET; and if the other GET's first byte came only
//   after the first GET's last byte and kOneAtATime of a wait after it was sent, the endpoint
//   serves GETs one at a time: no GET hides another's wait, so a part is worth a GET only when
//   its body takes longer than the wait (1 / kLeastPartShare of it, not kLeastPartShare): the
//   least part is 1 / kLeastPartShare^2 times that (the reader caps parts at its own limit).
// Both GETs are the mount's first samples of the link (LinkEstimate::OnGet), whose own
// estimate replaces the probe's once it has enough.
//
// Why not at once: a job that mounts and reads straight away would find the probe's GETs ahead
// of its first read, and a server that serves GETs one at a time serves them first (on moto the
// first byte came after 0.95 s instead of 0.25). So a file's first GET of a MiB or more sent
// before the probe went out stands in for it (TakeFirstGet): a read's first part, which the
// reader then sends alone and holds its read-ahead until the verdict, or a lookup's early GET
// (early_get.h). It is judged alone (JudgeAlone) and the probe never goes out. Against S3 that
// costs the mount's first file its read-ahead for about one round trip.
//
// Who waits for the verdict: a new mount's first read of a file of a MiB or more that an early
// GET does not cover, while the probe may still come (the root's first page or the warm-up not
// there yet, or its quiet time, which the wait cuts short: the probe goes out at once) or its
// GETs, or its stand-in, are under way, at most kMaxWait; and the read after a stand-in's. Once
// the root listing showed nothing to probe, or the verdict is in, nobody waits. Against S3 the
// verdict is in an eighth of a wait after the first byte; the probe costs two GETs of a MiB per
// mount (about a millionth of a dollar). No probe when the first page shows no readable object of
// at least LinkEstimate::kRateMinBytes (a shorter body's time says little of the link's rate).
//
// Thread safety: all methods may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common/clock.h"
#include "fs/link_estimate.h"
#include "s3/client.h"
#include "s3/types.h"

namespace thaw::fs {

class FetchPool;

struct ProbeTarget {
  std::string key;
  std::string etag;
  uint64_t size = 0;
};

// One probe GET as far as it has come.
struct ProbeGet {
  std::optional<Clock::TimePoint> sent, first_byte;
  std::optional<Clock::TimePoint> last_byte;  // set when it ended well
  uint64_t bytes = 0;                         // of body, when it ended well
  bool ended = false;                         // well or not
};

struct ProbeVerdict {
  bool decided = false;
  std::optional<uint64_t> least_part;         // when decided: nullopt says nothing learnt
  std::optional<Clock::TimePoint> decide_by;  // undecided: a verdict is due then at the latest
  bool one_at_a_time = false;                 // when decided with a least part
};

// The verdict on the probe's two GETs `a` and `b` (sent at once) at `now` (see above).
ProbeVerdict JudgeProbe(const ProbeGet& a, const ProbeGet& b, Clock::TimePoint now);
// The verdict on one GET `a` sent alone: as JudgeProbe's on its first GET, but since one GET
// cannot tell whether the endpoint serves GETs side by side or one at a time, a least part
// between the two answers: 1 / kLeastPartShare times LeastPartFor, where a part's body takes
// about as long as the wait (too large by that factor where GETs go side by side, too small by
// it where they go one at a time, and either way a few GETs where one would do, not dozens).
ProbeVerdict JudgeAlone(const ProbeGet& a, Clock::TimePoint now);
// A second GET whose first byte came this many of the first GET's waits after it was sent,
// and after the first GET's last byte, was served after it, not beside it.
constexpr double kOneAtATime = 1.5;

class LinkProbe : public LinkEstimate::Prior, public std::enable_shared_from_this<LinkProbe> {
 public:
  // A first read waits for the probe at most this long.
  static constexpr std::chrono::seconds kMaxWait{1};
  // The probe goes out this long after the warm-up, unless a read wants it sooner.
  static constexpr std::chrono::seconds kQuiet{1};

  // GETs go to `client` (which outlives this) on `pool`'s threads, timed by its clock and
  // reported to its link estimate; they go out `quiet` after the warm-up.
  LinkProbe(s3::S3Client& client, FetchPool& pool, std::string bucket,
            Clock::Duration quiet = kQuiet);

  // The first page of the root's listing (its objects' keys are full keys).
  void OnListing(const s3::ListObjectsPage& page);
  // The connection warm-up has finished (or there is none).
  void OnWarm();
  // Sends nothing from now on (the mount is going away).
  void Close();

  // The probe's least part (LinkEstimate's prior), nullopt when it says nothing. With `wait`,
  // a probe that may still come (the root's first page or the warm-up not there yet, or its
  // quiet second, which the wait cuts short), whose GETs are under way, or whose place a read's
  // GET took is waited for, at most kMaxWait; without, nullopt until it has been judged.
  std::optional<uint64_t> LeastPartBytes(bool wait) override;
  // For the first read to ask before the probe has gone out, the handle its GET reports to: the
  // probe never goes out then, and that GET is judged alone (JudgeAlone). A read's GET that
  // never went out (its bytes came from elsewhere) leaves the place to the probe again.
  std::shared_ptr<LinkEstimate::FirstGet> TakeFirstGet() override;
  // Whether the verdict, if there is one yet, says the endpoint serves GETs one at a time.
  bool one_at_a_time();

  // The object a probe reads from `page`: the largest readable one of at least
  // LinkEstimate::kRateMinBytes, or nullopt. Readable means what a listing can vouch for: not
  // GLACIER or DEEP_ARCHIVE unless restored, and not INTELLIGENT_TIERING (a listing does not
  // show its archive tiers).
  static std::optional<ProbeTarget> Pick(const s3::ListObjectsPage& page);

 private:
  // Applies `change` under the lock, sends the probe if it is due now, and wakes waiting
  // reads.
  void Change(const std::function<void()>& change);
  // Whether the probe could go out now if its quiet time were over (mu_ held).
  bool ReadyLocked() const;
  // Sends the probe if it is ready and its quiet time is over (or `at_once`); starts a task
  // that sends it when the quiet time ends otherwise.
  void SendIfReadyLocked(bool at_once = false);
  void SendAfterQuiet();
  class StandIn;
  // Whether a verdict may still come (mu_ held).
  bool MayComeLocked(Clock::TimePoint now) const;
  // Sets the verdict and logs what it came from (mu_ held).
  void DecideLocked(const ProbeVerdict& v, const ProbeGet& a, const ProbeGet& b, const char* what);
  // Runs probe GET `i` of `what`'s first MiB.
  void RunGet(int i, const ProbeTarget& what);

  s3::S3Client& client_;
  FetchPool& pool_;
  Clock& clock_;
  const std::string bucket_;
  const Clock::Duration quiet_;
  std::mutex mu_;  // guards what follows
  std::condition_variable changed_;
  bool listed_ = false;
  std::optional<Clock::TimePoint> warm_;  // the warm-up ended then
  bool closed_ = false;
  bool timer_ = false;  // SendAfterQuiet is queued or waiting
  std::optional<ProbeTarget> target_;
  std::optional<Clock::TimePoint> sent_;     // the probe went out then
  std::optional<Clock::TimePoint> adopted_;  // a file's first GET took the probe's place then
  const StandIn* stand_in_ = nullptr;        // that GET's handle, while it has the place
  ProbeGet gets_[2];
  uint64_t events_ = 0;  // changes a waiting read may care about
  std::optional<ProbeVerdict> verdict_;
};

}  // namespace thaw::fs
