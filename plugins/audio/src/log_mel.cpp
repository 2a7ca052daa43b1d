#include "log_mel.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>

namespace seqflow::audio {

namespace {

LogMelOptions effective(LogMelOptions o) {
  if (o.whisper) {
    // Whisper fixes everything but the bank size and the padding.
    LogMelOptions w;
    w.win_length = w.n_fft;
    w.n_mels = o.n_mels;
    w.pad_to_seconds = o.pad_to_seconds;
    return w;
  }
  if (o.win_length == 0) o.win_length = o.n_fft;
  return o;
}

std::vector<double> make_window(const std::string& name, int win_length, int n_fft) {
  std::vector<double> w(static_cast<size_t>(n_fft), 0.0);
  const int left = (n_fft - win_length) / 2;
  const double n = win_length;  // periodic windows, as torch.*_window(periodic=True)
  for (int i = 0; i < win_length; ++i) {
    const double a = 2.0 * std::numbers::pi * i / n;
    double v = 1.0;
    if (name == "hann") v = 0.5 - 0.5 * std::cos(a);
    else if (name == "hamming") v = 0.54 - 0.46 * std::cos(a);
    else if (name == "blackman") v = 0.42 - 0.5 * std::cos(a) + 0.08 * std::cos(2 * a);
    else if (name == "rectangular") v = 1.0;
    else
      throw std::invalid_argument("window '" + name +
                                  "' is unknown; use hann, hamming, blackman or rectangular");
    w[static_cast<size_t>(left + i)] = v;
  }
  return w;
}

}  // namespace

PadMode parse_pad_mode(const std::string& name) {
  if (name == "reflect") return PadMode::kReflect;
  if (name == "constant") return PadMode::kConstant;
  if (name == "replicate") return PadMode::kReplicate;
  throw std::invalid_argument("pad_mode '" + name + "' is unknown; use reflect, constant or replicate");
}

LogKind parse_log_kind(const std::string& name) {
  if (name == "ln") return LogKind::kLn;
  if (name == "log10") return LogKind::kLog10;
  if (name == "db") return LogKind::kDb;
  if (name == "none") return LogKind::kNone;
  throw std::invalid_argument("log '" + name + "' is unknown; use ln, log10, db or none");
}

LogMel::LogMel(const LogMelOptions& options) : o_(effective(options)), fft_(std::max(o_.n_fft, 1)) {
  if (o_.n_fft < 2) throw std::invalid_argument("n_fft must be 2 or more");
  if (o_.hop_length < 1) throw std::invalid_argument("hop_length must be 1 or more");
  if (o_.win_length < 1 || o_.win_length > o_.n_fft) {
    throw std::invalid_argument("win_length = " + std::to_string(o_.win_length) +
                                " must lie in [1, n_fft = " + std::to_string(o_.n_fft) + "] (0 means n_fft)");
  }
  if (o_.whisper && o_.n_mels != 80 && o_.n_mels != 128) {
    throw std::invalid_argument("Whisper uses n_mels = 80 (v1-v3 before large-v3) or 128 (large-v3), not " +
                                std::to_string(o_.n_mels));
  }
  if (!(o_.power > 0)) throw std::invalid_argument("power must be above 0 (2 = power, 1 = magnitude)");
  if (!(o_.log_floor > 0)) throw std::invalid_argument("log_floor must be above 0");
  if (o_.pad_to_seconds < 0) throw std::invalid_argument("pad_to_seconds must be 0 (off) or more");
  window_ = make_window(o_.window, o_.win_length, o_.n_fft);
  padded_.resize(static_cast<size_t>(o_.n_fft));
  spectrum_.resize(static_cast<size_t>(o_.n_fft / 2 + 1));
  mel_out_.resize(static_cast<size_t>(o_.n_mels));
  if (o_.f_min < 0 || o_.f_max < 0 || (o_.f_max > 0 && o_.f_max <= o_.f_min)) {
    throw std::invalid_argument("f_min and f_max must satisfy 0 <= f_min < f_max (f_max 0 = Nyquist)");
  }
}

void LogMel::prepare(double rate) {
  if (rate == rate_) return;
  const double f_max = o_.f_max > 0 ? o_.f_max : rate / 2;
  mel_ = std::make_unique<MelBank>(
      MelBank::torchaudio(o_.n_fft / 2 + 1, o_.f_min, f_max, o_.n_mels, rate, o_.norm, o_.mel_scale));
  rate_ = rate;
}

int64_t LogMel::compute(std::span<const float> wave, double rate, std::vector<float>& out) {
  if (o_.whisper && rate != 16000.0) {
    throw std::invalid_argument("Whisper's log-mel needs 16000 Hz audio, this record is " +
                                std::to_string(static_cast<int64_t>(rate)) +
                                " Hz; set sample_rate = 16000 in audio.read");
  }
  prepare(rate);
  int64_t n = static_cast<int64_t>(wave.size());
  if (o_.pad_to_seconds > 0) {
    const int64_t target = static_cast<int64_t>(std::llround(o_.pad_to_seconds * rate));
    if (n > target) {
      throw std::invalid_argument("the audio lasts " + std::to_string(static_cast<double>(n) / rate) +
                                  " s, longer than pad_to_seconds = " + std::to_string(o_.pad_to_seconds) +
                                  "; cut it first (audio.read max_seconds, or audio.chunk)");
    }
    n = target;
  }
  // Samples past the record's end (pad_to_seconds) are zeros.
  auto sample = [&](int64_t i) -> double {
    return i < static_cast<int64_t>(wave.size()) ? wave[static_cast<size_t>(i)] : 0.0;
  };
  const int nfft = o_.n_fft;
  const int64_t pad = o_.center ? nfft / 2 : 0;
  if (o_.center && o_.pad_mode == PadMode::kReflect && n <= pad) {
    throw std::invalid_argument("the audio has " + std::to_string(n) +
                                " samples, too few to reflect-pad by " + std::to_string(pad) +
                                " (torch.stft fails too); use pad_mode = \"constant\"");
  }
  const int64_t total = n + 2 * pad;
  int64_t frames = total < nfft ? 0 : 1 + (total - nfft) / o_.hop_length;
  if (o_.whisper && frames > 0) --frames;  // Whisper drops the last frame (stft[..., :-1])
  const int mels = o_.n_mels;
  out.resize(static_cast<size_t>(frames * mels));
  auto padded_sample = [&](int64_t i) -> double {
    i -= pad;
    if (i >= 0 && i < n) return sample(i);
    if (o_.pad_mode == PadMode::kConstant || n == 0) return 0.0;
    if (o_.pad_mode == PadMode::kReplicate) return sample(i < 0 ? 0 : n - 1);
    return sample(i < 0 ? -i : 2 * (n - 1) - i);
  };
  double* in = fft_.input();
  double global_max = -HUGE_VAL;
  for (int64_t f = 0; f < frames; ++f) {
    const int64_t start = f * o_.hop_length;
    for (int j = 0; j < nfft; ++j) in[j] = padded_sample(start + j) * window_[static_cast<size_t>(j)];
    fft_.power(spectrum_.data());
    if (o_.power != 2.0) {
      for (double& v : spectrum_) v = std::pow(v, o_.power / 2.0);
    }
    mel_->apply(spectrum_.data(), mel_out_.data());
    float* row = out.data() + f * mels;
    for (int m = 0; m < mels; ++m) {
      const double v = mel_out_[static_cast<size_t>(m)];
      double y = v;
      switch (o_.log) {
        case LogKind::kNone: break;
        case LogKind::kLn: y = std::log(std::max(v, o_.log_floor)); break;
        case LogKind::kLog10: y = std::log10(std::max(v, o_.log_floor)); break;
        case LogKind::kDb: y = (o_.power == 1.0 ? 20.0 : 10.0) * std::log10(std::max(v, o_.log_floor)); break;
      }
      global_max = std::max(global_max, y);
      row[m] = static_cast<float>(y);
    }
  }
  if (o_.whisper) {
    const float floor = static_cast<float>(global_max - 8.0);
    for (float& v : out) v = (std::max(v, floor) + 4.0f) / 4.0f;
  }
  return frames;
}

}  // namespace seqflow::audio
