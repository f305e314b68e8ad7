// Turning a completed restore into the command a completion hook runs, safely. The object's
// bucket, key and version come from whoever can write to the bucket or send to the queue, so
// every value here is hostile until proven otherwise (design.md, "Keys and events are
// untrusted"):
//
//   - Templates are expanded in one pass: each placeholder ({bucket} {key} {version} {path}
//     {storage_class}) is replaced once and the inserted text is never scanned again, so a key
//     that contains "{key}" or a quote cannot reach the shell as code.
//   - The shell form (`--on-restored "CMD"`) runs /bin/sh -c with every value single-quoted; the
//     exec form (`--on-restored-exec PROG ARG...`) runs PROG directly, each argument expanded on
//     its own with no quoting and no shell. Both also get the values as environment variables
//     (THAW_BUCKET, THAW_KEY, THAW_VERSION_ID, THAW_PATH, THAW_STORAGE_CLASS).
//   - {path} maps s3://bucket/prefix/rest to LOCAL_DIR/rest (`--map LOCAL_DIR=s3://bucket/prefix`,
//     longest prefix wins) only when `rest` is a plain relative path: no empty, "." or ".."
//     segment and no NUL. Such a key is never mapped (MapOutcome::kUnsafe): the hook does not run
//     for it, so no hook can be pointed outside LOCAL_DIR.
//
// Pure functions and values: no I/O, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "restore/record.h"

namespace thaw::events {

struct PathMap {
  std::string local;   // "/fsx/data" (no trailing slash)
  std::string bucket;  // "bucket"
  std::string prefix;  // "prefix/" ("" for the whole bucket)
};
// "/fsx/data=s3://bucket/prefix". LOCAL_DIR must be absolute. kInvalidArgument when malformed.
Result<PathMap> ParsePathMap(std::string_view spec);

enum class MapOutcome {
  kMapped,    // `path` is inside the mapping's LOCAL_DIR
  kUnmapped,  // no mapping covers the object
  kUnsafe,    // a mapping covers it, but its key cannot be a path below LOCAL_DIR
};
struct MappedPath {
  MapOutcome outcome = MapOutcome::kUnmapped;
  std::string path;  // kMapped only
};
MappedPath MapToLocalPath(const std::vector<PathMap>& maps, const restore::ObjectRef& object);

// A hook as configured: exactly one of `shell` (a /bin/sh command line) or `argv` (PROG ARG...).
struct HookTemplate {
  std::string shell;
  std::vector<std::string> argv;

  bool UsesPath() const;  // any {path} placeholder
};

// What one run executes.
struct HookCommand {
  std::vector<std::string> argv;  // argv[0] is run ("/bin/sh" for the shell form; PATH lookup)
  std::vector<std::string> env;   // "THAW_KEY=..." entries added to thaw's environment
  std::string display;            // for log lines (escaped by the logger)
};

// What a hook knows of a completed restore.
struct HookSubject {
  restore::ObjectRef object;
  std::string storage_class;  // the class it was restored from; "" when unknown
};

enum class ExpandOutcome { kReady, kUnmapped, kUnsafe };
struct Expansion {
  ExpandOutcome outcome = ExpandOutcome::kReady;
  HookCommand command;  // kReady only
};

// The command for `subject`. kUnsafe: a mapping covers the object but its key is not a plain
// relative path, or a value holds a NUL (it could not reach an argument or the environment
// intact). kUnmapped: the template needs {path} and no mapping covers the object. An object that
// no mapping covers is otherwise hooked without THAW_PATH.
Expansion ExpandHook(const HookTemplate& tmpl, const std::vector<PathMap>& maps,
                     const HookSubject& subject);

// Replaces each {name} of `text` found in `values` in one left-to-right pass; with quote, each
// inserted value is shell-quoted. Unknown {names} stay as written.
std::string ExpandPlaceholders(std::string_view text,
                               const std::vector<std::pair<std::string, std::string>>& values,
                               bool quote);

// Shell-quotes `s` for /bin/sh: 'it'\''s'.
std::string ShellQuote(std::string_view s);

}  // namespace thaw::events
