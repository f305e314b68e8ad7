// Names of states, reasons and sources as the journal stores them and `thaw status` prints
// them. The strings are persisted: change them only with a journal migration.
#include "restore/record.h"

#include <array>
#include <utility>

namespace thaw::restore {
namespace {

constexpr std::array<std::pair<State, std::string_view>, 7> kStates = {{
    {State::kPending, "pending"},
    {State::kRequested, "requested"},
    {State::kInProgress, "in_progress"},
    {State::kRestored, "restored"},
    {State::kExpired, "expired"},
    {State::kFailed, "failed"},
    {State::kSkipped, "skipped"},
}};

constexpr std::array<std::pair<Reason, std::string_view>, 8> kReasons = {{
    {Reason::kNone, ""},
    {Reason::kNotArchived, "not_archived"},
    {Reason::kDenied, "denied"},
    {Reason::kOverBudget, "over_budget"},
    {Reason::kNotFound, "not_found"},
    {Reason::kS3Error, "s3_error"},
    {Reason::kRetriesExhausted, "retries_exhausted"},
    {Reason::kJournal, "journal"},
}};

constexpr std::array<std::pair<Source, std::string_view>, 3> kSources = {{
    {Source::kCli, "cli"},
    {Source::kMount, "mount"},
    {Source::kEvent, "event"},
}};

template <typename E, size_t N>
std::string_view NameOf(const std::array<std::pair<E, std::string_view>, N>& table, E e) {
  for (const auto& [value, name] : table) {
    if (value == e) return name;
  }
  return "?";
}

template <typename E, size_t N>
std::optional<E> Parse(const std::array<std::pair<E, std::string_view>, N>& table,
                       std::string_view s) {
  for (const auto& [value, name] : table) {
    if (name == s) return value;
  }
  return std::nullopt;
}

}  // namespace

std::string ObjectRef::ToString() const {
  std::string s = "s3://" + bucket + "/" + key;
  if (!version_id.empty()) s += "?versionId=" + version_id;
  return s;
}

std::string_view StateName(State s) {
  return NameOf(kStates, s);
}
std::optional<State> ParseState(std::string_view s) {
  return Parse(kStates, s);
}
bool IsTerminal(State s) {
  return s == State::kRestored || s == State::kExpired || s == State::kFailed ||
         s == State::kSkipped;
}

std::string_view ReasonName(Reason r) {
  return NameOf(kReasons, r);
}
std::optional<Reason> ParseReason(std::string_view s) {
  return Parse(kReasons, s);
}

std::string_view SourceName(Source s) {
  return NameOf(kSources, s);
}
std::optional<Source> ParseSource(std::string_view s) {
  return Parse(kSources, s);
}

}  // namespace thaw::restore
