// bench/events' measuring tool for thaw's side: parses CloudTrail log files (gzip or plain)
// with events::ParseCloudTrailLog on one thread, as `thaw scan` and the Lambda path do, and
// prints one JSON line: files, bytes read, records seen, restore-wanted events, and the CPU
// and wall seconds spent (reading the files included, like the peers' runs).
//
// Usage: bench_events_parse FILE...   (built with `cmake --build build -t bench_events_parse`)
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

#include "events/message.h"

namespace {

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE...\n", argv[0]);
    return 2;
  }
  auto wall_start = std::chrono::steady_clock::now();
  double cpu_start = CpuSeconds();
  uint64_t bytes = 0, records = 0, events = 0;
  std::string data;
  for (int i = 1; i < argc; ++i) {
    std::ifstream in(argv[i], std::ios::binary | std::ios::ate);
    if (!in) {
      std::fprintf(stderr, "cannot read %s\n", argv[i]);
      return 1;
    }
    data.resize(static_cast<size_t>(in.tellg()));
    in.seekg(0);
    in.read(data.data(), static_cast<std::streamsize>(data.size()));
    bytes += data.size();
    auto parsed = thaw::events::ParseCloudTrailLog(data);
    if (!parsed.ok()) {
      std::fprintf(stderr, "%s: %s\n", argv[i], parsed.status().ToString().c_str());
      return 1;
    }
    records += parsed->records_seen;
    events += parsed->events.size();
  }
  double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  std::printf(
      "{\"files\":%d,\"bytes\":%llu,\"records\":%llu,\"events\":%llu,\"cpu_s\":%.3f,"
      "\"wall_s\":%.3f}\n",
      argc - 1, static_cast<unsigned long long>(bytes), static_cast<unsigned long long>(records),
      static_cast<unsigned long long>(events), CpuSeconds() - cpu_start, wall);
  return 0;
}
