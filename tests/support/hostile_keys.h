// A corpus of object keys chosen by an attacker who can write to a bucket (design.md: keys are
// untrusted). Each shell-breaking key tries to run `touch CANARY`; a test passes a canary path
// and checks afterwards that the file was never created. Keys that are not plain relative paths
// below their prefix are marked: a hook must never map them to a local path.
#pragma once

#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

namespace thaw::testing {

struct HostileKey {
  std::string name;  // below the test's prefix
  bool path_safe;    // a plain relative path: no empty, "." or ".." segment
};

inline std::vector<HostileKey> HostileKeys(const std::string& canary) {
  std::string touch = "touch " + canary;
  std::string utf8_1024;  // with the test prefix "data/" (5 bytes), exactly 1,024 bytes
  for (int i = 0; i < 509; ++i) utf8_1024 += "\xc3\xa9";  // é
  utf8_1024 += "x";
  return {
      {"x$(" + touch + "){key}", true},
      {"`" + touch + "`", true},
      {"'; " + touch + "; '", true},
      {"\"; " + touch + "; \"", true},
      {"it's \"quoted\" $(" + touch + ")", true},
      {"{path}{bucket}{version}{storage_class}{key}$(" + touch + ")", true},
      {"{key", true},
      {"line1\n" + touch + "\nline3", true},
      {"tab\there; " + touch, true},
      {"$HOME ${IFS} \\ ; & | > < * ? [ ] ~ ! # %", true},
      {"-n", true},
      {"--help", true},
      {"esc\x1b[2Jclear", true},
      {"..x", true},
      {"x..", true},
      {"...", true},
      {".hidden/f", true},
      {"d/e/f g", true},
      {utf8_1024, true},
      {"../../etc/shadow", false},
      {"..", false},
      {".", false},
      {"a/../../b", false},
      {"./x", false},
      {"a/./b", false},
      {"a//b", false},
      {"a/", false},
      {"a/..", false},
      {"/abs", false},
  };
}

// What the tests' hooks append to `path`: `printf '%s\0'` of four values per run (the key as
// argument and as THAW_KEY, the path as argument and as THAW_PATH). NUL separates fields because
// it is the one byte no key can hold.
inline std::multiset<std::vector<std::string>> ReadHookRecords(const std::string& path) {
  std::ifstream in(path);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> fields;
  size_t start = 0;
  for (size_t nul = all.find('\0'); nul != std::string::npos; nul = all.find('\0', start)) {
    fields.push_back(all.substr(start, nul - start));
    start = nul + 1;
  }
  std::multiset<std::vector<std::string>> out;
  for (size_t i = 0; i + 4 <= fields.size(); i += 4) {
    out.insert({fields[i], fields[i + 1], fields[i + 2], fields[i + 3]});
  }
  if (fields.size() % 4 != 0) out.insert({"<torn record>"});
  return out;
}

}  // namespace thaw::testing
