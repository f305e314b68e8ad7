#include "fs/kernel_readahead.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace thaw::fs {
namespace {

// Undoes mountinfo's octal escapes ("\040" is a space).
std::string Unescape(std::string_view s) {
  auto octal = [](char c) { return c >= '0' && c <= '7'; };
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && octal(s[i + 1]) && octal(s[i + 2]) && octal(s[i + 3])) {
      out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

std::optional<std::string> MountDeviceId(std::string_view mountinfo,
                                         const std::string& mountpoint) {
  // Each line: ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS ...; later lines are newer mounts.
  std::optional<std::string> found;
  size_t pos = 0;
  while (pos < mountinfo.size()) {
    size_t end = mountinfo.find('\n', pos);
    if (end == std::string_view::npos) end = mountinfo.size();
    std::string_view line = mountinfo.substr(pos, end - pos);
    pos = end + 1;
    std::string_view fields[5];
    int n = 0;
    for (size_t start = 0; n < 5 && start <= line.size(); ++n) {
      size_t sp = std::min(line.find(' ', start), line.size());
      fields[n] = line.substr(start, sp - start);
      start = sp + 1;
    }
    if (n < 5 || fields[2].find(':') == std::string_view::npos) continue;
    if (Unescape(fields[4]) == mountpoint) found = std::string(fields[2]);
  }
  return found;
}

Status SetKernelReadahead(const std::string& mountpoint, uint64_t bytes) {
  std::ifstream in("/proc/self/mountinfo");
  std::stringstream text;
  text << in.rdbuf();
  auto id = MountDeviceId(text.str(), mountpoint);
  if (!id) return Status::NotFound(mountpoint + " is not in /proc/self/mountinfo");
  std::string path = "/sys/class/bdi/" + *id + "/read_ahead_kb";
  std::ofstream out(path);
  if (out) out << (bytes + 1023) / 1024 << '\n';
  out.flush();
  if (!out) {
    return Status::PermissionDenied("cannot write " + path + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

}  // namespace thaw::fs
