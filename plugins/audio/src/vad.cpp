#include "vad.hpp"

#include <cstddef>

namespace seqflow::audio {

std::vector<float> energy_vad(const float* e, int64_t frames, int64_t stride, const VadOptions& o) {
  std::vector<float> out(static_cast<size_t>(frames), 0.0f);
  if (frames == 0) return out;
  double threshold = o.vad_energy_threshold;
  if (o.vad_energy_mean_scale != 0.0) {
    // Kaldi sums the energies as a float vector (VectorBase<float>::Sum accumulates in double).
    double sum = 0;
    for (int64_t t = 0; t < frames; ++t) sum += e[t * stride];
    threshold += o.vad_energy_mean_scale * sum / static_cast<double>(frames);
  }
  // Kaldi compares in float (BaseFloat).
  const float thr = static_cast<float>(threshold);
  const float proportion = static_cast<float>(o.vad_proportion_threshold);
  const int64_t c = o.vad_frames_context;
  for (int64_t t = 0; t < frames; ++t) {
    int64_t num = 0;
    int64_t den = 0;
    for (int64_t u = t - c; u <= t + c; ++u) {
      if (u < 0 || u >= frames) continue;
      ++den;
      if (e[u * stride] > thr) ++num;
    }
    out[static_cast<size_t>(t)] =
        static_cast<float>(num) >= static_cast<float>(den) * proportion ? 1.0f : 0.0f;
  }
  return out;
}

}  // namespace seqflow::audio
