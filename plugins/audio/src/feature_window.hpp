// FrameExtractor: cuts a waveform into windowed frames exactly as torchaudio.compliance.kaldi (and Kaldi's
// feature-window.cc) do: dither, DC removal, raw energy, pre-emphasis, window, zero padding to the FFT size.
//
// Frames are computed in double: at Kaldi's int16 scale a float frame loses the low-energy mel bins to
// rounding (torchaudio's float32 and float64 fbank differ by up to 5e-3 on kaldi_ref/test.wav).
// Lifecycle: built once per (options, sample rate); extract() is called per frame.
// Threading: const after construction; extract() may run on any number of threads at once.
// Ownership: holds its window table; reads the caller's samples, writes the caller's frame buffer.
// Errors: the constructor throws std::invalid_argument for options that torchaudio rejects (a window of
// fewer than 2 samples, a zero shift, an odd FFT size, pre-emphasis outside [0, 1]).
//
// Dither: torchaudio draws torch.randn for every (frame, sample), so its output differs run to run. Here
// the Gaussian for (frame f, sample j) comes from a counter-based generator: splitmix64 of the record's
// key (seed and record id, see dither_key()) and the counter f * window_size + j, turned into a normal
// value by Box-Muller. The value depends only on (seed, id, f, j): the same on every run and thread count.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace seqflow::audio {

enum class WindowType { kPovey, kHanning, kHamming, kRectangular, kBlackman };

/// Parses "povey" | "hanning" | "hamming" | "rectangular" | "blackman"; throws std::invalid_argument.
WindowType parse_window_type(std::string_view name);

struct FrameOptions {
  double frame_length = 25.0;  // ms
  double frame_shift = 10.0;   // ms
  double dither = 0.0;
  double preemphasis_coefficient = 0.97;
  bool remove_dc_offset = true;
  WindowType window_type = WindowType::kPovey;
  double blackman_coeff = 0.42;
  bool round_to_power_of_two = true;
  bool snip_edges = true;
};

/// Sum (of squares) of n values, in a fixed order of four partial sums.
double sum_of(const double* x, int n);
double sum_of_squares(const double* x, int n);

/// The key of a record's dither noise: a hash of the seed and the record id.
uint64_t dither_key(uint64_t seed, std::string_view record_id);

class FrameExtractor {
 public:
  FrameExtractor(const FrameOptions& options, double sample_rate);

  int window_size() const { return window_size_; }
  int window_shift() const { return window_shift_; }
  int padded_size() const { return padded_size_; }
  /// Frames of a signal of `num_samples` samples (torchaudio's _get_strided count).
  int64_t num_frames(int64_t num_samples) const;
  /// Writes frame `f` of `wave` (padded_size() values) into `out` and returns its energy (sum of squares):
  /// taken after DC removal and before pre-emphasis when `raw_energy`, else of the windowed frame.
  double extract(std::span<const float> wave, int64_t f, uint64_t key, double* __restrict out,
                 bool raw_energy) const;

 private:
  FrameOptions options_;
  int window_size_;
  int window_shift_;
  int padded_size_;
  std::vector<double> window_;
};

}  // namespace seqflow::audio
