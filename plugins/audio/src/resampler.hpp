// Resampler: streaming sample-rate conversion of one mono float signal with libsoxr (the resampler of SoX
// and of librosa's default "soxr_hq"), at SOXR_HQ quality: 20-bit precision, a linear-phase filter with
// its -3 dB point at 95% of the lower Nyquist frequency (see plugins/audio/README.md for how it compares
// with torchaudio.functional.resample).
//
// Lifecycle: construct per signal, process() its blocks in order, flush() once at the end.
// Threading: one thread at a time; soxr runs single-threaded here, so its output never depends on timing.
// Ownership: owns the soxr handle. Errors: std::runtime_error with soxr's message.
#pragma once

#include <cstddef>
#include <vector>

namespace seqflow::audio {

class Resampler {
 public:
  Resampler(double input_rate, double output_rate);
  ~Resampler();
  Resampler(const Resampler&) = delete;
  Resampler& operator=(const Resampler&) = delete;

  /// Appends the output available after `n` more input samples to `out`.
  void process(const float* in, size_t n, std::vector<float>& out);
  /// Appends the rest of the output (the filter's tail) to `out`.
  void flush(std::vector<float>& out);

 private:
  void* soxr_;
  double ratio_;
};

}  // namespace seqflow::audio
