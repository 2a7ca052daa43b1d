#include "feature_window.hpp"

#include "simd.hpp"

#include <cmath>
#include <numbers>
#include <stdexcept>
#include <string>

namespace seqflow::audio {

namespace {

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// A standard normal value from the counter: two 53-bit uniforms, Box-Muller.
double gaussian(uint64_t key, uint64_t counter) {
  const uint64_t a = splitmix64(key ^ splitmix64(2 * counter));
  const uint64_t b = splitmix64(key ^ splitmix64(2 * counter + 1));
  const double u1 = (static_cast<double>(a >> 11) + 1.0) * 0x1.0p-53;  // (0, 1]
  const double u2 = static_cast<double>(b >> 11) * 0x1.0p-53;
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

int next_power_of_two(int x) {
  int p = 1;
  while (p < x) p *= 2;
  return p;
}

// Kaldi's reflection for snip_edges = false: -1 -> 0, -2 -> 1, T -> T-1, repeated for very short signals.
int64_t reflect(int64_t i, int64_t n) {
  while (i < 0 || i >= n) i = i < 0 ? -i - 1 : 2 * n - 1 - i;
  return i;
}

}  // namespace

// Sums in four interleaved partial sums, added in a fixed order: the same result every run, and no
// chain of dependent additions (one add latency per sample) on the hot path.
SEQFLOW_AUDIO_HOT double sum_of(const double* x, int n) {
  double a[4] = {0, 0, 0, 0};
  int j = 0;
  for (; j + 4 <= n; j += 4) {
    for (int k = 0; k < 4; ++k) a[k] += x[j + k];
  }
  for (; j < n; ++j) a[0] += x[j];
  return (a[0] + a[1]) + (a[2] + a[3]);
}

SEQFLOW_AUDIO_HOT double sum_of_squares(const double* x, int n) {
  double a[4] = {0, 0, 0, 0};
  int j = 0;
  for (; j + 4 <= n; j += 4) {
    for (int k = 0; k < 4; ++k) a[k] += x[j + k] * x[j + k];
  }
  for (; j < n; ++j) a[0] += x[j] * x[j];
  return (a[0] + a[1]) + (a[2] + a[3]);
}

WindowType parse_window_type(std::string_view name) {
  if (name == "povey") return WindowType::kPovey;
  if (name == "hanning") return WindowType::kHanning;
  if (name == "hamming") return WindowType::kHamming;
  if (name == "rectangular") return WindowType::kRectangular;
  if (name == "blackman") return WindowType::kBlackman;
  throw std::invalid_argument("window_type '" + std::string(name) +
                              "' is unknown; use povey, hanning, hamming, rectangular or blackman");
}

uint64_t dither_key(uint64_t seed, std::string_view record_id) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (unsigned char c : record_id) h = (h ^ c) * 1099511628211ull;
  return splitmix64(splitmix64(seed) ^ h);
}

FrameExtractor::FrameExtractor(const FrameOptions& o, double sample_rate) : options_(o) {
  if (!(sample_rate > 0)) throw std::invalid_argument("the sample rate must be above 0");
  // torchaudio's order of operations: int(sample_frequency * frame_shift * 0.001).
  const double shift = sample_rate * o.frame_shift * 0.001;
  const double size = sample_rate * o.frame_length * 0.001;
  if (!(shift >= 1.0) || !(size >= 2.0) || size > 1e9 || shift > 1e9) {
    throw std::invalid_argument("frame_length = " + std::to_string(o.frame_length) +
                                " ms and frame_shift = " + std::to_string(o.frame_shift) + " ms at " +
                                std::to_string(sample_rate) +
                                " Hz give a window under 2 samples or a shift under 1 sample");
  }
  window_shift_ = static_cast<int>(shift);
  window_size_ = static_cast<int>(size);
  padded_size_ = o.round_to_power_of_two ? next_power_of_two(window_size_) : window_size_;
  if (padded_size_ % 2 != 0) {
    throw std::invalid_argument("the window has an odd number of samples (" + std::to_string(padded_size_) +
                                "); set round_to_power_of_two = true or change frame_length");
  }
  if (!(o.preemphasis_coefficient >= 0.0 && o.preemphasis_coefficient <= 1.0)) {
    throw std::invalid_argument("preemphasis_coefficient must lie in [0, 1]");
  }
  window_.resize(static_cast<size_t>(window_size_));
  const double n1 = window_size_ - 1;
  for (int i = 0; i < window_size_; ++i) {
    const double a = 2.0 * std::numbers::pi * i / n1;
    double w = 1.0;
    switch (o.window_type) {
      case WindowType::kHanning: w = 0.5 - 0.5 * std::cos(a); break;
      case WindowType::kPovey: w = std::pow(0.5 - 0.5 * std::cos(a), 0.85); break;
      case WindowType::kHamming: w = 0.54 - 0.46 * std::cos(a); break;
      case WindowType::kRectangular: w = 1.0; break;
      case WindowType::kBlackman:
        w = o.blackman_coeff - 0.5 * std::cos(a) + (0.5 - o.blackman_coeff) * std::cos(2 * a);
        break;
    }
    window_[static_cast<size_t>(i)] = w;
  }
}

int64_t FrameExtractor::num_frames(int64_t n) const {
  if (options_.snip_edges) return n < window_size_ ? 0 : 1 + (n - window_size_) / window_shift_;
  return (n + window_shift_ / 2) / window_shift_;
}

SEQFLOW_AUDIO_HOT double FrameExtractor::extract(std::span<const float> wave, int64_t f, uint64_t key,
                                                 double* __restrict out, bool raw_energy) const {
  const int64_t n = static_cast<int64_t>(wave.size());
  const int w = window_size_;
  const int64_t start =
      options_.snip_edges ? f * window_shift_ : f * window_shift_ - (window_size_ / 2 - window_shift_ / 2);
  if (start >= 0 && start + w <= n) {
    const float* __restrict src = wave.data() + start;
    for (int j = 0; j < w; ++j) out[j] = src[j];
  } else {
    for (int j = 0; j < w; ++j) out[j] = wave[static_cast<size_t>(reflect(start + j, n))];
  }
  if (options_.dither != 0.0) {
    const uint64_t base = static_cast<uint64_t>(f) * static_cast<uint64_t>(w);
    for (int j = 0; j < w; ++j) out[j] += options_.dither * gaussian(key, base + static_cast<uint64_t>(j));
  }
  if (options_.remove_dc_offset) {
    const double mean = sum_of(out, w) / w;
    for (int j = 0; j < w; ++j) out[j] -= mean;
  }
  double energy = raw_energy ? sum_of_squares(out, w) : 0.0;
  // Pre-emphasis and window in one pass, from the end so that out[j - 1] is still the input.
  const double p = options_.preemphasis_coefficient;
  const double* __restrict win = window_.data();
  for (int j = w - 1; j > 0; --j) out[j] = (out[j] - p * out[j - 1]) * win[j];
  out[0] = (out[0] - p * out[0]) * win[0];
  for (int j = w; j < padded_size_; ++j) out[j] = 0.0;
  if (!raw_energy) energy = sum_of_squares(out, w);
  return energy;
}

}  // namespace seqflow::audio
