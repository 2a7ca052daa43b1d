// Mel filter banks: Kaldi's (torchaudio.compliance.kaldi.get_mel_banks, with VTLN warping) and
// torchaudio.functional.melscale_fbanks' (HTK or Slaney scale, optional Slaney area normalisation, which
// with the Slaney scale is librosa's and Whisper's bank).
//
// Lifecycle: built once per (options, sample rate, FFT size), then applied to every frame.
// Threading: const after construction; apply() may run on any number of threads at once.
// Ownership: each bank owns its weights, stored sparsely (first bin and the run of non-zero weights).
// Errors: the constructors throw std::invalid_argument for the option combinations torchaudio rejects,
// with the offending values in the message.
#pragma once

#include <string_view>
#include <vector>

namespace seqflow::audio {

struct KaldiMelOptions {
  int num_mel_bins = 23;
  double low_freq = 20.0;
  double high_freq = 0.0;  // <= 0: offset from Nyquist
  double vtln_low = 100.0;
  double vtln_high = -500.0;  // < 0: offset from Nyquist
  double vtln_warp = 1.0;
};

enum class MelScale { kHtk, kSlaney };
enum class MelNorm { kNone, kSlaney };

/// A bank of triangular filters over FFT bins, stored as a run of weights per filter.
class MelBank {
 public:
  /// Kaldi's bank over the padded_size/2 + 1 bins of an FFT of `padded_size` (the Nyquist bin weighs 0).
  static MelBank kaldi(const KaldiMelOptions& options, double sample_rate, int padded_size);
  /// torchaudio.functional.melscale_fbanks(n_freqs, f_min, f_max, n_mels, sample_rate, norm, mel_scale),
  /// computed in double (as librosa.filters.mel).
  static MelBank torchaudio(int n_freqs, double f_min, double f_max, int n_mels, double sample_rate,
                            MelNorm norm, MelScale scale);

  int num_bins() const { return static_cast<int>(first_.size()); }
  /// out[m] = sum_k weight[m][k] * spectrum[k] for every filter m, four partial sums per filter added
  /// in a fixed order (deterministic, without one long chain of dependent adds).
  void apply(const double* spectrum, double* out) const;

 private:
  void add_filter(const std::vector<double>& dense);

  std::vector<int> first_;
  std::vector<int> length_;
  std::vector<size_t> offset_;
  std::vector<double> weights_;
};

MelScale parse_mel_scale(std::string_view name);
MelNorm parse_mel_norm(std::string_view name);

}  // namespace seqflow::audio
