#include "mel_banks.hpp"

#include "simd.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace seqflow::audio {

namespace {

double kaldi_mel(double f) { return 1127.0 * std::log(1.0 + f / 700.0); }
double hz_to_mel(double f, MelScale s) {
  if (s == MelScale::kHtk) return 2595.0 * std::log10(1.0 + f / 700.0);
  const double f_sp = 200.0 / 3;
  double mels = f / f_sp;
  const double min_log_hz = 1000.0;
  const double min_log_mel = min_log_hz / f_sp;
  const double logstep = std::log(6.4) / 27.0;
  if (f >= min_log_hz) mels = min_log_mel + std::log(f / min_log_hz) / logstep;
  return mels;
}

std::string num(double v) {
  std::string s = std::to_string(v);
  while (s.size() > 1 && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

}  // namespace

MelScale parse_mel_scale(std::string_view name) {
  if (name == "htk") return MelScale::kHtk;
  if (name == "slaney") return MelScale::kSlaney;
  throw std::invalid_argument("mel_scale '" + std::string(name) + "' is unknown; use htk or slaney");
}

MelNorm parse_mel_norm(std::string_view name) {
  if (name == "none" || name.empty()) return MelNorm::kNone;
  if (name == "slaney") return MelNorm::kSlaney;
  throw std::invalid_argument("norm '" + std::string(name) + "' is unknown; use none or slaney");
}

void MelBank::add_filter(const std::vector<double>& dense) {
  int first = 0;
  int last = -1;
  for (int k = 0; k < static_cast<int>(dense.size()); ++k) {
    if (dense[static_cast<size_t>(k)] != 0.0) {
      if (last < 0) first = k;
      last = k;
    }
  }
  first_.push_back(last < 0 ? 0 : first);
  length_.push_back(last < 0 ? 0 : last - first + 1);
  offset_.push_back(weights_.size());
  for (int k = first; k <= last; ++k) weights_.push_back(dense[static_cast<size_t>(k)]);
}

SEQFLOW_AUDIO_HOT void MelBank::apply(const double* spectrum, double* out) const {
  for (size_t m = 0; m < first_.size(); ++m) {
    const double* __restrict w = weights_.data() + offset_[m];
    const double* __restrict s = spectrum + first_[m];
    const int len = length_[m];
    double a[4] = {0, 0, 0, 0};
    int k = 0;
    for (; k + 4 <= len; k += 4) {
      for (int i = 0; i < 4; ++i) a[i] += w[k + i] * s[k + i];
    }
    for (; k < len; ++k) a[0] += w[k] * s[k];
    out[m] = (a[0] + a[1]) + (a[2] + a[3]);
  }
}

MelBank MelBank::kaldi(const KaldiMelOptions& o, double sample_rate, int padded_size) {
  if (o.num_mel_bins <= 3) {
    throw std::invalid_argument("num_mel_bins = " + std::to_string(o.num_mel_bins) + " must be 4 or more");
  }
  const double nyquist = 0.5 * sample_rate;
  const double low = o.low_freq;
  const double high = o.high_freq <= 0.0 ? o.high_freq + nyquist : o.high_freq;
  if (!(low >= 0.0 && low < nyquist && high > 0.0 && high <= nyquist && low < high)) {
    throw std::invalid_argument("low_freq = " + num(o.low_freq) + " and high_freq = " + num(o.high_freq) +
                                " do not fit the Nyquist frequency " + num(nyquist) +
                                " Hz: need 0 <= low_freq < high_freq <= Nyquist (high_freq <= 0 is an "
                                "offset from Nyquist)");
  }
  const double vtln_high = o.vtln_high < 0.0 ? o.vtln_high + nyquist : o.vtln_high;
  if (o.vtln_warp != 1.0 && !(low < o.vtln_low && o.vtln_low < high && vtln_high > 0.0 && vtln_high < high &&
                              o.vtln_low < vtln_high)) {
    throw std::invalid_argument("vtln_low = " + num(o.vtln_low) + " and vtln_high = " + num(o.vtln_high) +
                                " must satisfy low_freq < vtln_low < vtln_high < high_freq (vtln_high < 0 is "
                                "an offset from Nyquist)");
  }
  if (!(o.vtln_warp > 0.0)) throw std::invalid_argument("vtln_warp must be above 0");
  // The weights are computed in float with torchaudio's order of operations (Kaldi also computes them in
  // float): narrow low-frequency filters are sensitive to this rounding, which a float64 bank would not
  // reproduce (1.5e-4 in the log of an 80-bin fbank).
  const int num_fft_bins = padded_size / 2;
  const float bin_width = static_cast<float>(sample_rate / padded_size);
  const double mel_low = kaldi_mel(low);
  const float mel_low_f = static_cast<float>(mel_low);
  const float delta = static_cast<float>((kaldi_mel(high) - mel_low) / (o.num_mel_bins + 1));
  const float fl = static_cast<float>(low);
  const float fh = static_cast<float>(high);
  auto to_mel = [](float f) { return 1127.0f * std::log(1.0f + f / 700.0f); };
  auto from_mel = [](float m) { return 700.0f * (std::exp(m / 1127.0f) - 1.0f); };
  auto warp = [&](float mel) {
    if (o.vtln_warp == 1.0) return mel;
    const float f = from_mel(mel);
    if (f < fl || f > fh) return to_mel(f);
    const double l = o.vtln_low * std::max(1.0, o.vtln_warp);
    const double h = vtln_high * std::min(1.0, o.vtln_warp);
    const double scale = 1.0 / o.vtln_warp;
    float w = 0;
    if (f < l) {
      w = fl + static_cast<float>((scale * l - low) / (l - low)) * (f - fl);
    } else if (f < h) {
      w = static_cast<float>(scale) * f;
    } else {
      w = fh + static_cast<float>((high - scale * h) / (high - h)) * (f - fh);
    }
    return to_mel(w);
  };
  MelBank bank;
  std::vector<double> dense(static_cast<size_t>(num_fft_bins + 1));
  for (int m = 0; m < o.num_mel_bins; ++m) {
    const float left = warp(mel_low_f + static_cast<float>(m) * delta);
    const float center = warp(mel_low_f + (static_cast<float>(m) + 1.0f) * delta);
    const float right = warp(mel_low_f + (static_cast<float>(m) + 2.0f) * delta);
    std::fill(dense.begin(), dense.end(), 0.0);
    for (int k = 0; k < num_fft_bins; ++k) {
      const float mel = to_mel(bin_width * static_cast<float>(k));
      const float up = (mel - left) / (center - left);
      const float down = (right - mel) / (right - center);
      float w = 0.0f;
      if (o.vtln_warp == 1.0) {
        w = std::max(0.0f, std::min(up, down));
      } else if (mel > left && mel <= center) {
        w = up;
      } else if (mel > center && mel < right) {
        w = down;
      }
      dense[static_cast<size_t>(k)] = w;
    }
    bank.add_filter(dense);
  }
  return bank;
}

namespace {
// torch.linspace: the first half counts up from start, the second half down from end.
std::vector<double> linspace(double start, double end, int steps) {
  std::vector<double> v(static_cast<size_t>(steps), start);
  if (steps == 1) return v;
  const double step = (end - start) / (steps - 1);
  const int half = steps / 2;
  for (int i = 0; i < steps; ++i)
    v[static_cast<size_t>(i)] = i < half ? start + step * i : end - step * (steps - i - 1);
  return v;
}

double mel_to_hz(double m, MelScale s) {
  if (s == MelScale::kHtk) return 700.0 * (std::pow(10.0, m / 2595.0) - 1.0);
  const double f_sp = 200.0 / 3;
  const double min_log_mel = 1000.0 / f_sp;
  const double logstep = std::log(6.4) / 27.0;
  if (m >= min_log_mel) return 1000.0 * std::exp(logstep * (m - min_log_mel));
  return f_sp * m;
}
}  // namespace

MelBank MelBank::torchaudio(int n_freqs, double f_min, double f_max, int n_mels, double sample_rate,
                            MelNorm norm, MelScale scale) {
  if (n_mels < 1) throw std::invalid_argument("n_mels must be 1 or more");
  if (!(f_min >= 0.0 && f_min < f_max && f_max <= sample_rate / 2 + 1e-9)) {
    throw std::invalid_argument("f_min = " + num(f_min) + " and f_max = " + num(f_max) +
                                " must satisfy 0 <= f_min < f_max <= sample_rate / 2 (" +
                                num(sample_rate / 2) + " Hz)");
  }
  // In double: the bank librosa computes (and Whisper ships as mel_filters.npz), which
  // torchaudio.functional.melscale_fbanks gives under torch's float64 default dtype.
  const std::vector<double> freqs = linspace(0.0, std::floor(sample_rate / 2), n_freqs);
  const std::vector<double> m_pts = linspace(hz_to_mel(f_min, scale), hz_to_mel(f_max, scale), n_mels + 2);
  std::vector<double> f_pts(m_pts.size());
  for (size_t i = 0; i < m_pts.size(); ++i) f_pts[i] = mel_to_hz(m_pts[i], scale);
  MelBank bank;
  std::vector<double> dense(static_cast<size_t>(n_freqs));
  for (int m = 0; m < n_mels; ++m) {
    const double f0 = f_pts[static_cast<size_t>(m)];
    const double f1 = f_pts[static_cast<size_t>(m + 1)];
    const double f2 = f_pts[static_cast<size_t>(m + 2)];
    const double enorm = norm == MelNorm::kSlaney ? 2.0 / (f2 - f0) : 1.0;
    for (int k = 0; k < n_freqs; ++k) {
      const double f = freqs[static_cast<size_t>(k)];
      const double down = (f - f0) / (f1 - f0);
      const double up = (f2 - f) / (f2 - f1);
      dense[static_cast<size_t>(k)] = std::max(0.0, std::min(down, up)) * enorm;
    }
    bank.add_filter(dense);
  }
  return bank;
}

}  // namespace seqflow::audio
