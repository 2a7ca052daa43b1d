// audio.log_mel: Whisper's log-mel spectrogram, or its general form (torch.stft + torchaudio mel bank + a
// log) as a transform.
//
// What it is: an SDK transform over LogMel. Reads the f32 [T] waveform named by `input` and the record's
// sample_rate; writes f32 [frames, n_mels] (time first, the transpose of Whisper's [n_mels, frames]).
// Lifecycle: options checked in the constructor; process() per record. Threading: one instance per
// worker. Errors: bad options fail stage creation; a record the options cannot serve fails alone.
#pragma once

#include "component_util.hpp"
#include "log_mel.hpp"

#include <seqflow/sdk.hpp>

#include <string>
#include <vector>

namespace seqflow::audio {

class LogMelTransform : public Transform<LogMelTransform> {
 public:
  static constexpr Info info{
      "log_mel",
      "Whisper's log_mel_spectrogram (whisper = true: 16 kHz, n_fft 400, hop 160, periodic Hann, reflect "
      "padding, last frame dropped, Slaney mel bank, log10 clamped to max - 8, (x + 4) / 4), or with whisper "
      "= false the same transform built from the other parameters (torch.stft + "
      "torchaudio.functional.melscale_fbanks + log), as Lhotse and NeMo users configure it. Output f32 "
      "[frames, n_mels].",
      "[[stage]]\nname = \"mel\"\nplugin = \"audio.log_mel\"\nn_mels = 80\npad_to_seconds = 30\n", 0, 0};
  static constexpr sf_param_decl params[] = {
      Param::field("input", "\"audio\"", "f32 [T] waveform field."),
      Param::field("output", "\"log_mel\"", "Field for the f32 [frames, n_mels] features."),
      Param::boolean("whisper", "true",
                     "Whisper's transform exactly; only n_mels (80 or 128) and pad_to_seconds then apply."),
      Param::real("pad_to_seconds", "0",
                  "Zero-pad the audio at its end to this many seconds first (30 for Whisper: 3000 frames); a "
                  "longer record fails (cut it with audio.read max_seconds). 0 = no padding."),
      Param::integer("n_fft", "400", "FFT size (any size; window and frames are n_fft samples)."),
      Param::integer("hop_length", "160", "Samples between frame starts."),
      Param::integer("win_length", "0",
                     "Window length, centred in n_fft with zeros (torch.stft); 0 = n_fft."),
      Param::string("window", "\"hann\"", "Periodic window (torch.*_window defaults).",
                    "hann|hamming|blackman|rectangular"),
      Param::boolean("center", "true", "Pad n_fft/2 samples at both ends so frame t is centred on t * hop."),
      Param::string("pad_mode", "\"reflect\"",
                    "Padding for center: reflect (torch.stft's default), constant "
                    "(zeros) or replicate.",
                    "reflect|constant|replicate"),
      Param::integer("n_mels", "80", "Mel bins."),
      Param::real("f_min", "0.0", "Lowest frequency of the mel bank in Hz."),
      Param::real("f_max", "0.0", "Highest frequency of the mel bank in Hz; 0 = sample_rate / 2."),
      Param::string("mel_scale", "\"slaney\"", "htk (torchaudio's default) or slaney (librosa's, Whisper's).",
                    "htk|slaney"),
      Param::string("norm", "\"slaney\"", "none, or slaney: each filter divided by its width in Hz / 2.",
                    "none|slaney"),
      Param::real("power", "2.0", "Exponent of the magnitude: 2 = power spectrum, 1 = magnitude."),
      Param::string("log", "\"log10\"", "ln, log10, db (10 log10, or 20 log10 when power = 1) or none.",
                    "ln|log10|db|none"),
      Param::real("log_floor", "1e-10", "The mel energies are floored at this before the log."),
  };
  static constexpr sf_field_decl fields[] = {
      Field::reads("input", "audio", SF_FIELD_TENSOR, SF_DTYPE_F32, "waveform f32 [T]"),
      Field::reads(nullptr, "sample_rate", SF_FIELD_INT, SF_DTYPE_ANY, "samples per second"),
      Field::writes("output", "log_mel", SF_FIELD_TENSOR, SF_DTYPE_F32, "f32 [frames, n_mels]"),
  };

  explicit LogMelTransform(CreateContext& ctx)
      : input_name_(ctx.param("input").as_string()),
        input_(ctx.field_param("input")),
        output_(ctx.field_param("output")),
        rate_(ctx.field("sample_rate")),
        mel_(make(ctx)) {}

  void process(Context&, Record& r) {
    const std::span<const float> wave = waveform_of(r, input_, input_name_);
    const double rate = rate_of(r, rate_);
    int64_t frames = 0;
    try {
      frames = mel_.compute(wave, rate, out_);
    } catch (const std::invalid_argument& e) {
      throw Error(e.what());
    }
    write_matrix(r, output_, out_, frames, n_mels_);
  }

 private:
  LogMel make(CreateContext& ctx) {
    LogMelOptions o;
    try {
      o.whisper = ctx.param("whisper").as_bool();
      o.pad_to_seconds = ctx.param("pad_to_seconds").as_float();
      o.n_fft = static_cast<int>(ctx.param("n_fft").as_int());
      o.hop_length = static_cast<int>(ctx.param("hop_length").as_int());
      o.win_length = static_cast<int>(ctx.param("win_length").as_int());
      o.window = ctx.param("window").as_string();
      o.center = ctx.param("center").as_bool();
      o.pad_mode = parse_pad_mode(ctx.param("pad_mode").as_string());
      o.n_mels = static_cast<int>(ctx.param("n_mels").as_int());
      o.f_min = ctx.param("f_min").as_float();
      o.f_max = ctx.param("f_max").as_float();
      o.mel_scale = parse_mel_scale(ctx.param("mel_scale").as_string());
      o.norm = parse_mel_norm(ctx.param("norm").as_string());
      o.power = ctx.param("power").as_float();
      o.log = parse_log_kind(ctx.param("log").as_string());
      o.log_floor = ctx.param("log_floor").as_float();
      n_mels_ = o.n_mels;
      return LogMel(o);
    } catch (const std::invalid_argument& e) {
      throw Error(e.what());
    }
  }

  std::string input_name_;
  Slot input_;
  Slot output_;
  Slot rate_;
  int n_mels_ = 0;
  LogMel mel_;
  std::vector<float> out_;
};

}  // namespace seqflow::audio
