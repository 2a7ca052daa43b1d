// Fuzz target: ARPA n-gram LM files (decode.ctc_beam's `lm`).
//
// The input is the file. A file that loads is then scored as the beam search scores it: every unigram
// in turn from the begin state, chained, and an unknown word. Checked properties: a bad file is a
// std::runtime_error naming the file; scores of a loaded model are finite or -inf, never NaN.
#include "decode/arpa_lm.hpp"
#include "fuzz_util.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using seqflow::decode::ArpaLm;
  const std::string path =
      seqflow::fuzz::write_file("lm.arpa", std::string_view(reinterpret_cast<const char*>(data), size));
  try {
    ArpaLm lm = ArpaLm::load(path);
    ArpaLm::State state = lm.begin_state(), next;
    const int32_t words = static_cast<int32_t>(lm.count(1));
    for (int32_t w = 0; w < words && w < 64; ++w) {
      double s = lm.score(state, w, next);
      if (std::isnan(s)) __builtin_trap();
      state = next;
    }
    (void)lm.word_id("no-such-word");
    if (std::isnan(lm.max_backoff_gain())) __builtin_trap();
  } catch (const std::runtime_error& e) {
    if (std::string_view(e.what()).find(path) == std::string_view::npos) __builtin_trap();
  }
  return 0;
}
