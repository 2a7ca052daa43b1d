// LogMel: Whisper's log_mel_spectrogram, and the same short-time transform without Whisper's
// post-processing (torch.stft + torchaudio.functional.melscale_fbanks + a log), as Lhotse and NeMo
// configure it.
//
// Whisper (whisper = true): 16 kHz audio, n_fft 400, hop 160, periodic Hann, centre padding by reflection,
// the last frame dropped, |X|^2, Slaney-scale Slaney-normalised mel bank (librosa's, Whisper's
// mel_filters.npz), log10 of max(x, 1e-10), clamped to (its global maximum - 8), then (x + 4) / 4.
// General (whisper = false): every one of those choices is a parameter (see LogMelOptions).
// The FFT and mel sums run in double: float rounding in a bin 80 dB below the frame's peak would
// otherwise show in its log.
//
// Lifecycle: construct with options (checked); compute() per record. Threading: one instance per worker.
// Ownership: compute() writes the caller's vector. Errors: std::invalid_argument for bad options or for a
// record they cannot serve (wrong rate for Whisper, too short for reflection, longer than pad_to_seconds).
#pragma once

#include "fft.hpp"
#include "mel_banks.hpp"

#include <memory>
#include <span>
#include <string>
#include <vector>

namespace seqflow::audio {

enum class PadMode { kReflect, kConstant, kReplicate };
enum class LogKind { kNone, kLn, kLog10, kDb };

struct LogMelOptions {
  bool whisper = true;
  int n_fft = 400;
  int hop_length = 160;
  int win_length = 0;  // 0: n_fft
  std::string window = "hann";
  bool center = true;
  PadMode pad_mode = PadMode::kReflect;
  int n_mels = 80;
  double f_min = 0.0;
  double f_max = 0.0;  // 0: sample_rate / 2
  MelScale mel_scale = MelScale::kSlaney;
  MelNorm norm = MelNorm::kSlaney;
  double power = 2.0;
  LogKind log = LogKind::kLog10;
  double log_floor = 1e-10;
  double pad_to_seconds = 0.0;
};

PadMode parse_pad_mode(const std::string& name);
LogKind parse_log_kind(const std::string& name);

class LogMel {
 public:
  explicit LogMel(const LogMelOptions& options);
  /// [frames, n_mels] row-major into `out`; returns the number of frames.
  int64_t compute(std::span<const float> wave, double sample_rate, std::vector<float>& out);

 private:
  void prepare(double sample_rate);

  LogMelOptions o_;
  double rate_ = 0;
  std::vector<double> window_;  // n_fft values, the win_length window centred
  std::unique_ptr<MelBank> mel_;
  RealFft<double> fft_;
  std::vector<double> padded_;
  std::vector<double> spectrum_;
  std::vector<double> mel_out_;
};

}  // namespace seqflow::audio
