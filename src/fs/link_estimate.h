// What the mount's own GETs show about its endpoint, and the read-ahead a reader needs from it.
//
// Read-ahead has to cover the time a part takes to arrive: a reader consuming C bytes/s needs
// about C x (time to first byte + part / one GET's rate) requested ahead of it. Against S3
// (20 ms to the first byte, ~90 MB/s per connection) that is a couple of hundred MiB at 1 GB/s;
// against an endpoint next door (under a millisecond, GB/s per connection) a few MiB. Fetching
// further ahead gains nothing there and costs: on a machine whose CPUs the endpoint shares, far
// GETs run at the same time as the near ones the reader waits for and slow them down, and at
// the end of a partial read they were wasted.
//
// LinkEstimate keeps the least time to first byte and a fast rate (faster than nine in ten) of
// recent GETs (mount-wide: one endpoint), so a GET's time when the endpoint is not otherwise
// busy; GETs running together only make a part slower than that, never faster. ReadRate measures
// one reader's consumption over its sequential run. ReadAheadFor combines them.
//
// Thread safety: LinkEstimate is thread-safe; ReadRate is used under its reader's lock.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>

#include "common/clock.h"

namespace thaw::fs {

class LinkEstimate {
 public:
  using Duration = std::chrono::nanoseconds;
  // Body rates are taken from GETs of at least this much (a short body's rate is mostly the
  // endpoint's per-request overhead, not the link's).
  static constexpr uint64_t kRateMinBytes = 1 << 20;
  // Estimates come from the last kSamples GETs (the endpoint may change: a network profile,
  // a busier server); none before kMinSamples.
  static constexpr size_t kSamples = 64;
  static constexpr size_t kMinSamples = 8;
  static constexpr double kFastShare = 0.9;

  // A finished GET: `bytes` of body, `ttfb` from sending it to its first byte, `body` from the
  // first byte to the last. One that took no time at all says nothing (a coarse or fake clock)
  // and is ignored.
  void OnGet(uint64_t bytes, Duration ttfb, Duration body);

  // The time a GET of `bytes` takes on an otherwise idle endpoint: the least time to first
  // byte L plus the bytes at a fast rate among the recent samples (faster than kFastShare of
  // them: GETs slowed by others running at once are the many, while the very fastest can be
  // a burst the link does not sustain), where a sample's rate is its bytes over its whole time
  // minus L. Not its body's own rate: a body the fetching thread
  // was late to read had arrived in the socket's buffers meanwhile and seems faster than the
  // link, while a GET's whole time is never shorter than L plus its bytes at the link's rate.
  // nullopt while fewer than kMinSamples GETs (or none large enough for a rate) were seen.
  std::optional<Duration> GetTime(uint64_t bytes) const;

  // The smallest part worth a GET of its own on this endpoint: kLeastPartShare of what a GET
  // streams in the time it waits for its first byte (its body's rate times its time to first
  // byte, the median over recent GETs of at least kRateMinBytes). Against S3 (20-30 ms, then
  // ~90 MB/s) that is a few hundred KiB, below any part the reader plans, and changes nothing;
  // against a server that works a fifth of a second on every GET before its first byte and
  // then sends it in a millisecond (moto copies the whole object for each ranged GET, one GET
  // at a time) it is tens of MiB: a file goes out in a few GETs instead of fifty, each of
  // which would cost that fifth of a second again. The median, because a body the fetching
  // thread was late to read seems faster than it came. nullopt while fewer than kMinSamples
  // GETs, or fewer than kMinSamples / 2 of kRateMinBytes or more, were seen: then the prior's
  // answer, if there is one (waiting for it when `wait_for_prior`).
  std::optional<uint64_t> LeastPartBytes(bool wait_for_prior = false) const;
  static constexpr double kLeastPartShare = 1.0 / 8;

  // A file's first GET that stands in for the prior's own (Prior::TakeFirstGet), told how it
  // went; dropped without Ended, it counts as ended with nothing.
  class FirstGet {
   public:
    virtual ~FirstGet() = default;
    virtual void Sent() = 0;
    virtual void FirstByte() = 0;
    // `bytes` of body when it came whole, 0 otherwise; without Sent() first its bytes came from
    // elsewhere (the disk cache, an early GET).
    virtual void Ended(uint64_t bytes) = 0;
  };

  // What LeastPartBytes answers until the mount has timed enough GETs of its own (the mount's
  // probe, link_probe.h). Called without this's lock.
  class Prior {
   public:
    virtual ~Prior() = default;
    // The least part, nullopt when it says nothing (yet); with `wait`, waits briefly for it.
    virtual std::optional<uint64_t> LeastPartBytes(bool wait) = 0;
    // A read about to send a new mount's first GET, of at least kRateMinBytes and with no
    // read-ahead beside it, asks whether that GET is to judge the link in the prior's place;
    // non-null for the first to ask while the prior has sent nothing.
    virtual std::shared_ptr<FirstGet> TakeFirstGet() = 0;
  };
  void SetPrior(std::shared_ptr<Prior> prior);
  // Prior::TakeFirstGet; null once the mount has timed enough GETs of its own, or without a
  // prior.
  std::shared_ptr<FirstGet> TakeFirstGet();

 private:
  struct Sample {
    uint64_t bytes;
    Duration ttfb, body;
  };
  // The least part from the samples, or nullopt when there are too few (mu_ held).
  std::optional<uint64_t> LeastPartFromSamplesLocked() const;
  mutable std::mutex mu_;  // guards samples_, prior_
  std::deque<Sample> samples_;
  std::shared_ptr<Prior> prior_;
};

// LinkEstimate::LeastPartBytes's rule for one GET: kLeastPartShare of the bytes its body's rate
// brings in its time to first byte (a body that took no measurable time counts as 1 us).
// 0 when the GET took no time to its first byte.
uint64_t LeastPartFor(uint64_t bytes, LinkEstimate::Duration ttfb, LinkEstimate::Duration body);

// The least part from LeastPartFor of one GET alone, which cannot tell whether the endpoint
// serves GETs side by side or one at a time: 1 / kLeastPartShare times it, between the two
// answers (see JudgeAlone, link_probe.h).
uint64_t LeastPartOfOneGet(uint64_t least_part_for);

// One reader's consumption rate: over the last kSpan of its current sequential run (the rate
// now, not an average that still remembers the run's slow start). Time between two reads
// counts up to kMaxGap: a reader that pauses (to work on what it read) then reads at its own
// pace again, and read-ahead sized to the pause would be too short; a reader kept waiting by
// the link is measured a little faster than it is, which errs towards more read-ahead.
class ReadRate {
 public:
  explicit ReadRate(Clock& clock) : clock_(clock) {}
  // A new run starts (the first read, or a random one).
  void Restart();
  // The run has consumed `bytes` in all, now.
  void OnConsumed(uint64_t bytes);
  // Bytes per second lately; nullopt until the run has lasted kMinSpan.
  std::optional<double> BytesPerSecond() const;
  // How long the run has lasted (pauses counted up to kMaxGap).
  Clock::Duration active() const { return active_; }

  static constexpr std::chrono::milliseconds kMinSpan{5};
  static constexpr std::chrono::milliseconds kSpan{100};
  static constexpr std::chrono::milliseconds kMaxGap{20};

 private:
  struct Mark {
    Clock::Duration at;  // active time
    uint64_t bytes;
  };
  Clock& clock_;
  Clock::TimePoint last_{};
  Clock::Duration active_{};
  uint64_t bytes_ = 0;
  std::deque<Mark> marks_;  // the oldest one kSpan or more before the newest
};

// A run's rate says what the reader needs only once the run has lasted this many times a GET:
// before that it is still the ramp (the first bytes' wait, a window not yet grown).
constexpr int kRampGets = 2;

// Read-ahead for a reader consuming `bytes_per_second` from a link where a GET of `part_bytes`
// takes `get_time` when idle: kGain times what the reader consumes while one part arrives,
// plus the part itself. The gain leaves room for GETs slowed by others and for the rate to grow
// (the reader can only go as fast as the window lets it: a window twice what the current rate
// needs lets the rate double in the next round trip).
uint64_t ReadAheadFor(double bytes_per_second, LinkEstimate::Duration get_time,
                      uint64_t part_bytes);
constexpr double kReadAheadGain = 4.0;

}  // namespace thaw::fs
