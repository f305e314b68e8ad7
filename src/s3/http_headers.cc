// HttpHeaders (see http.h): an ordered list of (name, value) pairs with case-insensitive lookup.
// HTTP header names are case-insensitive (RFC 9110), but we keep the spelling we were given so
// that what goes on the wire, and into SigV4's canonical request, is predictable.
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
  return v == nullptr ? "" : *v;
}

}  // namespace thaw::s3
