// libFuzzer target for the gzip parser; the body is shared with the corpus
// regression test (fuzz_targets.h). Corpus: tests/fuzz/corpus/gzip/.
#include "fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  thaw::events::fuzz::FuzzGzip(data, size);
  return 0;
}
