// HttpHeaders: an ordered list of headers with case-insensitive lookup, the check that a
// request carries nothing that could split or forge HTTP fields, and the blocking default of
// HttpTransport::SendAsync (see http.h).
#include "common/clock.h"
#include "common/strings.h"
#include "s3/http.h"

namespace thaw::s3 {
namespace {

// RFC 9110 section 5.6.2: tchar.
bool IsTokenChar(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

}  // namespace

Status CheckRequestSendable(const HttpRequest& request) {
  for (unsigned char c : request.url) {
    if (c <= 0x20 || c >= 0x7F) {
      return Status::InvalidArgument(
          "refusing to send a request whose URL holds a control character, space or "
          "non-ASCII byte (it must be percent-encoded)");
    }
  }
  for (const auto& [name, value] : request.headers.entries()) {
    if (name.empty()) return Status::InvalidArgument("refusing to send a header with no name");
    for (unsigned char c : name) {
      if (!IsTokenChar(c)) {
        // The name is not secret, but it may hold the very bytes refused: show it escaped.
        std::string shown;
        for (unsigned char n : name) {
          if (IsTokenChar(n)) {
            shown.push_back(static_cast<char>(n));
          } else {
            shown += "%" + HexEncode(std::string(1, static_cast<char>(n)));
          }
        }
        return Status::InvalidArgument("refusing to send header '" + shown +
                                       "': a header name may not contain control characters, "
                                       "spaces, ':' or other separators");
      }
    }
    if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      return Status::InvalidArgument("refusing to send header '" + name +
                                     "': its value contains CR, LF or NUL");
    }
  }
  return Status::Ok();
}

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
  for (const auto& e : entries_) {
    if (EqualsIgnoreCase(e.first, name)) return &e.second;
  }
  return nullptr;
}

std::string HttpHeaders::Get(std::string_view name) const {
  const std::string* v = Find(name);
  return v ? *v : std::string();
}

}  // namespace thaw::s3

namespace thaw::s3 {

// The default for transports without an event loop (see http.h).
void HttpTransport::SendAsync(HttpRequest request, std::chrono::nanoseconds delay,
                              HttpCallback done) {
  if (delay.count() > 0) Clock::Real().SleepFor(delay);
  done(Send(request));
}

}  // namespace thaw::s3
