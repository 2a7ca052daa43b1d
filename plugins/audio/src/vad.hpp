// Kaldi's compute-vad energy rule (ivector/voice-activity-detection.cc), on a column of log energies.
//
// Frame t is voiced when, among the frames t - context .. t + context inside the record, at least
// proportion_threshold of them have log energy above energy_threshold + energy_mean_scale * mean(log
// energy). Threading: a plain function. Errors: none (an empty input gives an empty output).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace seqflow::audio {

struct VadOptions {
  double vad_energy_threshold = 5.0;
  double vad_energy_mean_scale = 0.5;
  int vad_frames_context = 0;
  double vad_proportion_threshold = 0.6;
};

/// 1.0 (voiced) or 0.0 per frame; `log_energy[t]` is read with the given stride.
std::vector<float> energy_vad(const float* log_energy, int64_t frames, int64_t stride, const VadOptions& o);

}  // namespace seqflow::audio
