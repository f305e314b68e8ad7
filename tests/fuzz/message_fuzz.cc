// libFuzzer target for the message parser; the body is shared with the corpus
// regression test (fuzz_targets.h). Corpus: tests/fuzz/corpus/message/.
#include "fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  thaw::events::fuzz::FuzzMessage(data, size);
  return 0;
}
