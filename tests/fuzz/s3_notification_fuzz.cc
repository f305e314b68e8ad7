// libFuzzer target for the s3 notification parser; the body is shared with the corpus
// regression test (fuzz_targets.h). Corpus: tests/fuzz/corpus/s3_notification/.
#include "fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  thaw::events::fuzz::FuzzS3Notification(data, size);
  return 0;
}
