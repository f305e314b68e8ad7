// libFuzzer target for the access log parser; the body is shared with the corpus
// regression test (fuzz_targets.h). Corpus: tests/fuzz/corpus/access_log/.
#include "fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  thaw::events::fuzz::FuzzAccessLog(data, size);
  return 0;
}
