// audio.spectrogram, audio.fbank and audio.mfcc: torchaudio.compliance.kaldi's functions (= Kaldi's
// compute-spectrogram-feats, compute-fbank-feats, compute-mfcc-feats) as transforms.
//
// What it is: SDK transforms over KaldiFeatures. Each reads the f32 [T] waveform named by `input` and the
// record's `sample_rate` and writes f32 [frames, bins] to `output`. Every parameter has torchaudio's name
// and default (so dither = 0; note energy_floor = 1.0 where Kaldi's default is 0).
// Lifecycle: options are checked in the constructor; process() computes one record.
// Threading: one instance per worker (the FFT buffers are per instance). Dither noise depends only on
// (seed, record id, frame, sample): identical for any thread count.
// Errors: a bad option fails stage creation naming it; a record whose rate does not fit the options
// (high_freq above its Nyquist, say) or whose audio is not f32 [T] fails that record.
#pragma once

#include "component_util.hpp"
#include "kaldi_features.hpp"

#include <seqflow/sdk.hpp>

#include <cmath>
#include <string>
#include <vector>

namespace seqflow::audio {

namespace kaldi_params {
inline constexpr sf_param_decl kInput = Param::field("input", "\"audio\"", "f32 [T] waveform field.");
inline constexpr sf_param_decl kInputScale = Param::real(
    "input_scale", "1.0",
    "Multiplies every sample first: 32768 gives Kaldi's int16 magnitudes from audio read at the float "
    "scale, as a pipeline needs when the same samples also feed a model trained on floats (Silero VAD).");
inline constexpr sf_param_decl kBlackman =
    Param::real("blackman_coeff", "0.42", "Constant coefficient of the generalized Blackman window.");
inline constexpr sf_param_decl kDither = Param::real(
    "dither", "0.0",
    "Gaussian noise of this standard deviation added to every sample of every frame (0 = none). Seeded by "
    "`seed` and the record id: the same output on every run and thread count.");
inline constexpr sf_param_decl kEnergyFloor = Param::real(
    "energy_floor", "1.0",
    "Floor on the log-energy term, as an energy (log(energy_floor)); 0 = no floor (Kaldi's default).");
inline constexpr sf_param_decl kFrameLength = Param::real("frame_length", "25.0", "Frame length in ms.");
inline constexpr sf_param_decl kFrameShift = Param::real("frame_shift", "10.0", "Frame shift in ms.");
inline constexpr sf_param_decl kMinDuration =
    Param::real("min_duration", "0.0", "A record shorter than this (seconds) gets 0 frames.");
inline constexpr sf_param_decl kPreemph =
    Param::real("preemphasis_coefficient", "0.97", "Pre-emphasis x[i] -= c * x[i-1], c in [0, 1].");
inline constexpr sf_param_decl kRawEnergy = Param::boolean(
    "raw_energy", "true", "Take the energy before pre-emphasis and windowing (else of the windowed frame).");
inline constexpr sf_param_decl kRemoveDc =
    Param::boolean("remove_dc_offset", "true", "Subtract each frame's mean before anything else.");
inline constexpr sf_param_decl kRoundPow2 = Param::boolean(
    "round_to_power_of_two", "true", "Zero-pad each frame to the next power of two for the FFT.");
inline constexpr sf_param_decl kSnipEdges = Param::boolean(
    "snip_edges", "true",
    "true: only frames that fit in the signal; false: frames every frame_shift centred on it, the signal "
    "reflected at the ends (Kaldi's --snip-edges=false).");
inline constexpr sf_param_decl kSubtractMean =
    Param::boolean("subtract_mean", "false", "Subtract each feature's mean over the record's frames.");
inline constexpr sf_param_decl kWindowType = Param::string(
    "window_type", "\"povey\"",
    "povey (Hann^0.85), hanning, hamming, rectangular or blackman; all symmetric (N-1), as Kaldi's.",
    "povey|hanning|hamming|rectangular|blackman");
inline constexpr sf_param_decl kSeed =
    Param::integer("seed", "0", "Seed of the dither noise (with the record id).");
inline constexpr sf_param_decl kHighFreq = Param::real(
    "high_freq", "0.0", "High cutoff of the mel bins in Hz; 0 or negative = offset from Nyquist.");
inline constexpr sf_param_decl kHtkCompat =
    Param::boolean("htk_compat", "false", "HTK's layout: the energy (or C0) last instead of first.");
inline constexpr sf_param_decl kLowFreq =
    Param::real("low_freq", "20.0", "Low cutoff of the mel bins in Hz.");
inline constexpr sf_param_decl kNumMelBins =
    Param::integer("num_mel_bins", "23", "Number of triangular mel bins (4 or more).");
inline constexpr sf_param_decl kUseEnergy = Param::boolean(
    "use_energy", "false",
    "Add the log energy as a column (fbank: first, or last with htk_compat; mfcc: replaces C0).");
inline constexpr sf_param_decl kVtlnHigh = Param::real(
    "vtln_high", "-500.0", "High inflection point of the VTLN warp in Hz; negative = offset from Nyquist.");
inline constexpr sf_param_decl kVtlnLow =
    Param::real("vtln_low", "100.0", "Low inflection point of the VTLN warp in Hz.");
inline constexpr sf_param_decl kVtlnWarp =
    Param::real("vtln_warp", "1.0", "VTLN warp factor (1.0 = no warping).");
}  // namespace kaldi_params

/// Reads the options common to the three features from the stage's parameters.
inline KaldiFeatureOptions kaldi_options(CreateContext& ctx, KaldiKind kind) {
  KaldiFeatureOptions o;
  o.frame.blackman_coeff = ctx.param("blackman_coeff").as_float();
  o.frame.dither = ctx.param("dither").as_float();
  o.frame.frame_length = ctx.param("frame_length").as_float();
  o.frame.frame_shift = ctx.param("frame_shift").as_float();
  o.frame.preemphasis_coefficient = ctx.param("preemphasis_coefficient").as_float();
  o.frame.remove_dc_offset = ctx.param("remove_dc_offset").as_bool();
  o.frame.round_to_power_of_two = ctx.param("round_to_power_of_two").as_bool();
  o.frame.snip_edges = ctx.param("snip_edges").as_bool();
  o.energy_floor = ctx.param("energy_floor").as_float();
  o.min_duration = ctx.param("min_duration").as_float();
  o.raw_energy = ctx.param("raw_energy").as_bool();
  o.subtract_mean = ctx.param("subtract_mean").as_bool();
  o.seed = static_cast<uint64_t>(ctx.param("seed").as_int());
  if (kind != KaldiKind::kSpectrogram) {
    o.mel.high_freq = ctx.param("high_freq").as_float();
    o.mel.low_freq = ctx.param("low_freq").as_float();
    o.mel.num_mel_bins = static_cast<int>(ctx.param("num_mel_bins").as_int());
    o.mel.vtln_high = ctx.param("vtln_high").as_float();
    o.mel.vtln_low = ctx.param("vtln_low").as_float();
    o.mel.vtln_warp = ctx.param("vtln_warp").as_float();
    o.htk_compat = ctx.param("htk_compat").as_bool();
    o.use_energy = ctx.param("use_energy").as_bool();
  }
  if (kind == KaldiKind::kFbank) {
    o.use_log_fbank = ctx.param("use_log_fbank").as_bool();
    o.use_power = ctx.param("use_power").as_bool();
  }
  if (kind == KaldiKind::kMfcc) {
    o.num_ceps = static_cast<int>(ctx.param("num_ceps").as_int());
    o.cepstral_lifter = ctx.param("cepstral_lifter").as_float();
  }
  try {
    o.frame.window_type = parse_window_type(ctx.param("window_type").as_string());
  } catch (const std::invalid_argument& e) {
    throw Error(e.what());
  }
  return o;
}

template <class Self, KaldiKind kKind>
class KaldiTransform : public Transform<Self> {
 public:
  explicit KaldiTransform(CreateContext& ctx)
      : input_name_(ctx.param("input").as_string()),
        input_(ctx.field_param("input")),
        output_(ctx.field_param("output")),
        rate_(ctx.field("sample_rate")),
        id_(ctx.field("id")),
        input_scale_(ctx.param("input_scale").as_float()),
        features_(make(ctx)) {
    if (!(input_scale_ > 0) || !std::isfinite(input_scale_))
      throw Error(
          "input_scale = " + std::to_string(input_scale_) +
          " must be a finite number above 0 (32768 for Kaldi's int16 scale, 1 to leave samples as read)");
  }

  void process(Context&, Record& r) {
    std::span<const float> wave = waveform_of(r, input_, input_name_);
    if (input_scale_ != 1.0) {
      // In float, as torchaudio users write `waveform * 32768`: a power of two scales exactly.
      const float s = static_cast<float>(input_scale_);
      scaled_.resize(wave.size());
      for (size_t i = 0; i < wave.size(); ++i) scaled_[i] = wave[i] * s;
      wave = scaled_;
    }
    const double rate = rate_of(r, rate_);
    const std::string_view id = r.has(id_) ? r.string(id_) : std::string_view();
    int64_t frames = 0;
    int cols = 0;
    try {
      cols = features_.num_cols(rate);
      frames = features_.compute(wave, rate, id, out_);
    } catch (const std::invalid_argument& e) {
      throw Error(std::string(e.what()) + " (record at " + std::to_string(static_cast<int64_t>(rate)) +
                  " Hz)");
    }
    write_matrix(r, output_, out_, frames, cols);
  }

 private:
  static KaldiFeatures make(CreateContext& ctx) {
    try {
      return KaldiFeatures(kKind, kaldi_options(ctx, kKind));
    } catch (const std::invalid_argument& e) {
      throw Error(e.what());
    }
  }

  std::string input_name_;
  Slot input_;
  Slot output_;
  Slot rate_;
  Slot id_;
  double input_scale_;
  KaldiFeatures features_;
  std::vector<float> scaled_;
  std::vector<float> out_;
};

#define SEQFLOW_AUDIO_COMMON_FIELDS(OUT, DOC)                                                       \
  Field::reads("input", "audio", SF_FIELD_TENSOR, SF_DTYPE_F32, "waveform f32 [T]"),                \
      Field::reads(nullptr, "sample_rate", SF_FIELD_INT, SF_DTYPE_ANY, "samples per second"),       \
      Field::reads_optional(nullptr, "id", SF_FIELD_STRING, SF_DTYPE_ANY, "keys the dither noise"), \
      Field::writes("output", OUT, SF_FIELD_TENSOR, SF_DTYPE_F32, DOC)

class Spectrogram : public KaldiTransform<Spectrogram, KaldiKind::kSpectrogram> {
 public:
  using KaldiTransform::KaldiTransform;
  static constexpr Info info{
      "spectrogram",
      "torchaudio.compliance.kaldi.spectrogram (Kaldi's compute-spectrogram-feats): log power spectrum, "
      "column "
      "0 replaced by the log energy; f32 [frames, padded_window/2 + 1].",
      "[[stage]]\nname = \"spec\"\nplugin = \"audio.spectrogram\"\nenergy_floor = 0.0\n", 0, 0};
  static constexpr sf_param_decl params[] = {
      kaldi_params::kInput,
      kaldi_params::kInputScale,
      Param::field("output", "\"spectrogram\"", "Field for the f32 [frames, bins] features."),
      kaldi_params::kBlackman,
      kaldi_params::kDither,
      kaldi_params::kEnergyFloor,
      kaldi_params::kFrameLength,
      kaldi_params::kFrameShift,
      kaldi_params::kMinDuration,
      kaldi_params::kPreemph,
      kaldi_params::kRawEnergy,
      kaldi_params::kRemoveDc,
      kaldi_params::kRoundPow2,
      kaldi_params::kSnipEdges,
      kaldi_params::kSubtractMean,
      kaldi_params::kWindowType,
      kaldi_params::kSeed,
  };
  static constexpr sf_field_decl fields[] = {
      SEQFLOW_AUDIO_COMMON_FIELDS("spectrogram", "f32 [frames, bins] log power spectrum")};
};

class Fbank : public KaldiTransform<Fbank, KaldiKind::kFbank> {
 public:
  using KaldiTransform::KaldiTransform;
  static constexpr Info info{
      "fbank",
      "torchaudio.compliance.kaldi.fbank (Kaldi's compute-fbank-feats): log mel filter bank energies, "
      "f32 [frames, num_mel_bins (+1 with use_energy)]. Feed it scale = \"int16\" audio to match Kaldi.",
      "[[stage]]\nname = \"fbank\"\nplugin = \"audio.fbank\"\nnum_mel_bins = 80\n", 0, 0};
  static constexpr sf_param_decl params[] = {
      kaldi_params::kInput,
      kaldi_params::kInputScale,
      Param::field("output", "\"fbank\"", "Field for the f32 [frames, bins] features."),
      kaldi_params::kBlackman,
      kaldi_params::kDither,
      kaldi_params::kEnergyFloor,
      kaldi_params::kFrameLength,
      kaldi_params::kFrameShift,
      kaldi_params::kHighFreq,
      kaldi_params::kHtkCompat,
      kaldi_params::kLowFreq,
      kaldi_params::kMinDuration,
      kaldi_params::kNumMelBins,
      kaldi_params::kPreemph,
      kaldi_params::kRawEnergy,
      kaldi_params::kRemoveDc,
      kaldi_params::kRoundPow2,
      kaldi_params::kSnipEdges,
      kaldi_params::kSubtractMean,
      kaldi_params::kUseEnergy,
      Param::boolean("use_log_fbank", "true", "Log of the mel energies (floored at float epsilon)."),
      Param::boolean("use_power", "true", "Mel bins over the power spectrum (false: over the magnitude)."),
      kaldi_params::kVtlnHigh,
      kaldi_params::kVtlnLow,
      kaldi_params::kVtlnWarp,
      kaldi_params::kWindowType,
      kaldi_params::kSeed,
  };
  static constexpr sf_field_decl fields[] = {
      SEQFLOW_AUDIO_COMMON_FIELDS("fbank", "f32 [frames, bins] log mel energies")};
};

class Mfcc : public KaldiTransform<Mfcc, KaldiKind::kMfcc> {
 public:
  using KaldiTransform::KaldiTransform;
  static constexpr Info info{
      "mfcc",
      "torchaudio.compliance.kaldi.mfcc (Kaldi's compute-mfcc-feats): DCT of the log mel energies, liftered, "
      "f32 [frames, num_ceps]. Kaldi's own default is use_energy = true; torchaudio's (this) is false.",
      "[[stage]]\nname = \"mfcc\"\nplugin = \"audio.mfcc\"\nuse_energy = true\n", 0, 0};
  static constexpr sf_param_decl params[] = {
      kaldi_params::kInput,
      kaldi_params::kInputScale,
      Param::field("output", "\"mfcc\"", "Field for the f32 [frames, num_ceps] features."),
      kaldi_params::kBlackman,
      Param::real("cepstral_lifter", "22.0",
                  "Liftering coefficient L: c_i *= 1 + L/2 sin(pi i / L); 0 = none."),
      kaldi_params::kDither,
      kaldi_params::kEnergyFloor,
      kaldi_params::kFrameLength,
      kaldi_params::kFrameShift,
      kaldi_params::kHighFreq,
      kaldi_params::kHtkCompat,
      kaldi_params::kLowFreq,
      Param::integer("num_ceps", "13", "Cepstral coefficients kept (1 to num_mel_bins)."),
      kaldi_params::kMinDuration,
      kaldi_params::kNumMelBins,
      kaldi_params::kPreemph,
      kaldi_params::kRawEnergy,
      kaldi_params::kRemoveDc,
      kaldi_params::kRoundPow2,
      kaldi_params::kSnipEdges,
      kaldi_params::kSubtractMean,
      kaldi_params::kUseEnergy,
      kaldi_params::kVtlnHigh,
      kaldi_params::kVtlnLow,
      kaldi_params::kVtlnWarp,
      kaldi_params::kWindowType,
      kaldi_params::kSeed,
  };
  static constexpr sf_field_decl fields[] = {SEQFLOW_AUDIO_COMMON_FIELDS("mfcc", "f32 [frames, num_ceps]")};
};

#undef SEQFLOW_AUDIO_COMMON_FIELDS

}  // namespace seqflow::audio
