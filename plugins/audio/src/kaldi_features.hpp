// KaldiFeatures: torchaudio.compliance.kaldi.spectrogram / fbank / mfcc (= Kaldi's compute-*-feats) on one
// waveform, with torchaudio's parameter names and defaults.
//
// Everything runs in double and is stored as f32 (see feature_window.hpp for why).
// Lifecycle: construct with the options (the rate-independent ones are checked then); compute() per record.
// The frame extractor, mel bank and FFT plan are rebuilt only when the record's sample rate differs from the
// previous record's. Threading: one instance per worker (compute() uses the instance's buffers). Ownership:
// compute() writes into the caller's vector. Errors: std::invalid_argument for options that do not fit the
// record's sample rate (the message names the option).
#pragma once

#include "feature_window.hpp"
#include "fft.hpp"
#include "mel_banks.hpp"

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

namespace seqflow::audio {

enum class KaldiKind { kSpectrogram, kFbank, kMfcc };

struct KaldiFeatureOptions {
  FrameOptions frame;
  KaldiMelOptions mel;
  double energy_floor = 1.0;
  bool raw_energy = true;
  bool use_energy = false;
  bool htk_compat = false;
  bool use_log_fbank = true;
  bool use_power = true;
  int num_ceps = 13;
  double cepstral_lifter = 22.0;
  bool subtract_mean = false;
  double min_duration = 0.0;
  uint64_t seed = 0;
};

class KaldiFeatures {
 public:
  KaldiFeatures(KaldiKind kind, const KaldiFeatureOptions& options);

  /// Columns of the output at `sample_rate`.
  int num_cols(double sample_rate);
  /// Features of `wave` (row-major [frames, num_cols]) into `out`; returns the number of frames. A signal
  /// shorter than min_duration, or than one window with snip_edges, gives 0 frames.
  int64_t compute(std::span<const float> wave, double sample_rate, std::string_view record_id,
                  std::vector<float>& out);

 private:
  void prepare(double sample_rate);
  double log_energy(double energy) const;
  void mfcc_row(double energy, double* row) const;

  KaldiKind kind_;
  KaldiFeatureOptions options_;
  double rate_ = 0;
  std::unique_ptr<FrameExtractor> frames_;
  std::unique_ptr<MelBank> mel_;
  std::unique_ptr<RealFft<double>> fft_;
  std::vector<double> dct_;  // [num_mel_bins, num_ceps]
  std::vector<double> lifter_;
  std::vector<double> spectrum_;
  std::vector<double> mel_out_;
  std::vector<double> row_;
  double log_energy_floor_ = 0;
};

}  // namespace seqflow::audio
