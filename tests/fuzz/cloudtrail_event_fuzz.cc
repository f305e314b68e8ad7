// libFuzzer target for the cloudtrail event parser; the body is shared with the corpus
// regression test (fuzz_targets.h). Corpus: tests/fuzz/corpus/cloudtrail_event/.
#include "fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  thaw::events::fuzz::FuzzCloudTrailEvent(data, size);
  return 0;
}
