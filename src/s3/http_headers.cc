// HttpHeaders (see http.h): an ordered list, because S3 and SigV4 care about names as sent
// while lookups must ignore case (HTTP header names are case-insensitive).
#include <algorithm>

#include "common/strings.h"
#include "s3/http.h"

namespace thaw::s3 {

void HttpHeaders::Set(std::string name, std::string value) {
  Remove(name);
  entries_.emplace_back(std::move(name), std::move(value));
}

void HttpHeaders::Add(std::string name, std::string value) {
  entries_.emplace_back(std::move(name), std::move(value));
}

void HttpHeaders::Remove(std::string_view name) {
  std::erase_if(entries_, [&](const auto& e) { return EqualsIgnoreCase(e.first, name); });
}

const std::string* HttpHeaders::Find(std::string_view name) const {
  for (const auto& [n, v] : entries_) {
    if (EqualsIgnoreCase(n, name)) return &v;
  }
  return nullptr;
}

std::string HttpHeaders::Get(std::string_view name) const {
  const std::string* v = Find(name);
  return v ? *v : std::string();
}

}  // namespace thaw::s3
