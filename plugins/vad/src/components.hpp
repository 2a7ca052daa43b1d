// vad.segments and vad.cut: speech segments from a VAD model's per-window probabilities, and the audio
// cut into one record per segment.
//
// What it is: SDK transforms over segments.hpp. vad.segments reads the probabilities an onednn.run stage
// wrote (f32 [W] or [W, 1], one per window of 512 samples at 16 kHz, 256 at 8 kHz), the audio (for its
// length) and its sample rate, and writes the segments as i64 [S, 2] sample ranges [start, end), as
// get_speech_timestamps returns them. vad.cut replaces a recording by one record per segment.
// Lifecycle: rules and fields are checked in the constructor; process() handles one record.
// Threading: no state between records (vad.cut keeps a name buffer, so one instance per worker).
// Errors: a bad parameter fails stage creation naming it; a record whose probabilities do not cover
// its audio, or whose rate the model does not run at, fails alone with the reason.
#pragma once

#include "segments.hpp"

#include <seqflow/sdk.hpp>

#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>

namespace seqflow::vad {

class Segments : public Transform<Segments> {
 public:
  static constexpr Info info{
      "segments",
      "Speech segments from per-window speech probabilities with the parameters and rules of Silero VAD's "
      "get_speech_timestamps (silero-vad 5.1.2): a segment starts at a window whose probability is at least "
      "threshold and ends after min_silence_duration_ms below neg_threshold; segments not longer than "
      "min_speech_duration_ms are dropped, longer than max_speech_duration_s split, and each padded by "
      "speech_pad_ms (half the gap when two are closer). Output: i64 [S, 2] sample ranges [start, end) at "
      "the record's sample rate.",
      "[[stage]]\nname = \"segments\"\nplugin = \"vad.segments\"\ninput = \"speech_probs\"\nthreshold = 0.5\n"
      "min_silence_duration_ms = 100\n",
      SF_FLAG_THREAD_SAFE, 0};
  static constexpr sf_param_decl params[] = {
      Param::field(
          "input", "\"speech_probs\"",
          "F32 tensor field of speech probabilities, [W] or [W, 1]: one per window of 512 samples at "
          "16 kHz (256 at 8 kHz), W = ceil(samples / window), as onednn.run writes Silero VAD's output."),
      Param::field("audio", "\"audio\"",
                   "F32 tensor field of the samples, [T]: its length bounds the last segment."),
      Param::field("sample_rate", "\"sample_rate\"",
                   "Int field holding the audio's sample rate (16000 or 8000)."),
      Param::field("output", "\"segments\"",
                   "I64 tensor field for the segments, [S, 2]: start and end samples."),
      Param::real("threshold", "0.5",
                  "Speech threshold: a window with probability at least this starts speech."),
      Param::real("neg_threshold", "-1",
                  "Exit threshold: during speech, windows below it count as silence; -1 = threshold - 0.15 "
                  "(the package's default for None)."),
      Param::integer("min_speech_duration_ms", "250", "Segments not longer than this are dropped."),
      Param::real("max_speech_duration_s", "inf",
                  "Segments longer than this are split at the last silence of more than "
                  "min_silence_at_max_speech_ms, else just before this length; inf = no limit."),
      Param::integer("min_silence_duration_ms", "100", "Silence that ends a segment."),
      Param::integer("speech_pad_ms", "30",
                     "Padding added to each side of a segment (half the gap between close ones)."),
      Param::integer("min_silence_at_max_speech_ms", "98",
                     "Shortest silence a too-long segment is split at (fixed at 98 in silero-vad 5.1.2)."),
      Param::integer("window_size_samples", "0",
                     "Samples per probability; 0 = 512 at 16 kHz and 256 at 8 kHz, as the package fixes it."),
  };
  static constexpr sf_field_decl fields[] = {
      Field::reads("input", "speech_probs", SF_FIELD_TENSOR, SF_DTYPE_F32, "speech probability per window"),
      Field::reads("audio", "audio", SF_FIELD_TENSOR, SF_DTYPE_F32, "the samples (only their count is used)"),
      Field::reads("sample_rate", "sample_rate", SF_FIELD_INT, SF_DTYPE_ANY, "samples per second"),
      Field::writes("output", "segments", SF_FIELD_TENSOR, SF_DTYPE_I64, "[S, 2] start and end samples"),
  };

  explicit Segments(CreateContext& ctx)
      : input_(ctx.field_param("input")),
        audio_(ctx.field_param("audio")),
        rate_(ctx.field_param("sample_rate")),
        output_(ctx.field_param("output")) {
    rules_.threshold = ctx.param("threshold").as_float();
    rules_.neg_threshold = ctx.param("neg_threshold").as_float();
    rules_.min_speech_duration_ms = ctx.param("min_speech_duration_ms").as_int();
    rules_.max_speech_duration_s = ctx.param("max_speech_duration_s").as_float();
    rules_.min_silence_duration_ms = ctx.param("min_silence_duration_ms").as_int();
    rules_.speech_pad_ms = ctx.param("speech_pad_ms").as_int();
    rules_.min_silence_at_max_speech_ms = ctx.param("min_silence_at_max_speech_ms").as_int();
    if (std::string why = check_rules(rules_); !why.empty()) throw Error(why);
    window_ = ctx.param("window_size_samples").as_int();
    if (window_ < 0 || window_ > (int64_t{1} << 24))
      throw Error("window_size_samples = " + std::to_string(window_) +
                  " is out of range; use 0 (512 at 16 kHz, 256 at 8 kHz) or the samples per probability");
  }

  void process(Context&, Record& r) {
    const Tensor probs = r.tensor(input_);
    if (!(probs.ndim() == 1 || (probs.ndim() == 2 && probs.dim(1) == 1)))
      throw Error("'speech_probs' must be [W] or [W, 1] (one probability per window), got " +
                  shape_text(probs));
    const Tensor audio = r.tensor(audio_);
    if (audio.ndim() != 1) throw Error("the audio must be [T] samples (mono), got " + shape_text(audio));
    const int64_t rate = r.integer(rate_);
    int64_t window = window_;
    if (window == 0) {
      window = window_samples(rate);
      if (window == 0)
        throw Error(
            "sample_rate " + std::to_string(rate) +
            " Hz: Silero VAD runs at 16000 or 8000 Hz; resample (audio.read sample_rate = 16000) or set "
            "window_size_samples");
    }
    std::vector<Segment> segs;
    try {
      segs = speech_segments(probs.data<float>(), audio.dim(0), rate, window, rules_);
    } catch (const std::invalid_argument& e) {
      throw Error(std::string(e.what()) + ": the probabilities must come from this record's audio at " +
                  std::to_string(rate) +
                  " Hz (the shipped Silero VAD model runs at 16 kHz: resample with "
                  "audio.read sample_rate = 16000)");
    }
    const int64_t shape[2] = {static_cast<int64_t>(segs.size()), 2};
    std::span<int64_t> out = r.make_tensor<int64_t>(output_, std::span<const int64_t>(shape, 2));
    for (size_t i = 0; i < segs.size(); ++i) {
      out[2 * i] = segs[i].start;
      out[2 * i + 1] = segs[i].end;
    }
  }

 private:
  static std::string shape_text(const Tensor& t) {
    std::string s = "[";
    for (uint32_t i = 0; i < t.ndim(); ++i) s += (i ? ", " : "") + std::to_string(t.dim(i));
    return s + "]";
  }

  Slot input_, audio_, rate_, output_;
  SegmentRules rules_;
  int64_t window_ = 0;
};

class Cut : public Transform<Cut> {
 public:
  static constexpr Info info{
      "cut",
      "Cuts each recording into one record per speech segment (other fields copied): the segment's samples, "
      "id '<recording>:<start>-<end>' with start and end in seconds from the start of the file (offset "
      "included, 3 decimals), offset = the segment's start in the file, and the recording's id, start and "
      "end. The recording is replaced; one without speech gives no record.",
      "[[stage]]\nname = \"cut\"\nplugin = \"vad.cut\"\n", SF_FLAG_SPLITS, 0};
  static constexpr sf_param_decl params[] = {
      Param::field("input", "\"segments\"",
                   "I64 tensor field of segments [S, 2] in samples, as vad.segments writes."),
      Param::field("audio", "\"audio\"",
                   "F32 tensor field of the samples [T]; each record gets its segment's."),
      Param::field("sample_rate", "\"sample_rate\"", "Int field holding the audio's sample rate."),
      Param::field("offset", "\"offset\"",
                   "Float field: the recording's start in its file in seconds (audio.read writes it); the "
                   "segment's record gets offset + start / sample_rate."),
      Param::field("recording_output", "\"recording\"", "String field for the recording's id."),
      Param::field("start_output", "\"start\"",
                   "Float field for the segment's start, seconds from the file's start."),
      Param::field("end_output", "\"end\"",
                   "Float field for the segment's end, seconds from the file's start."),
  };
  static constexpr sf_field_decl fields[] = {
      Field::reads("input", "segments", SF_FIELD_TENSOR, SF_DTYPE_I64, "[S, 2] start and end samples"),
      Field::reads("audio", "audio", SF_FIELD_TENSOR, SF_DTYPE_F32, "the samples, cut per segment"),
      Field::reads("sample_rate", "sample_rate", SF_FIELD_INT, SF_DTYPE_ANY, "samples per second"),
      Field::reads("offset", "offset", SF_FIELD_FLOAT, SF_DTYPE_ANY, "the recording's start in its file"),
      Field::writes("recording_output", "recording", SF_FIELD_STRING, SF_DTYPE_ANY, "the recording's id"),
      Field::writes("start_output", "start", SF_FIELD_FLOAT, SF_DTYPE_ANY, "segment start, seconds"),
      Field::writes("end_output", "end", SF_FIELD_FLOAT, SF_DTYPE_ANY, "segment end, seconds"),
      Field::writes("offset", "offset", SF_FIELD_FLOAT, SF_DTYPE_ANY, "the segment's start in its file"),
  };

  explicit Cut(CreateContext& ctx)
      : input_(ctx.field_param("input")),
        audio_(ctx.field_param("audio")),
        rate_(ctx.field_param("sample_rate")),
        offset_(ctx.field_param("offset")),
        recording_(ctx.field_param("recording_output")),
        start_(ctx.field_param("start_output")),
        end_(ctx.field_param("end_output")),
        id_(ctx.field("id")) {}

  void process(Context& ctx, Record& r) {
    const Tensor segs = r.tensor(input_);
    if (segs.ndim() != 2 || segs.dim(1) != 2)
      throw Error("'segments' must be [S, 2] (start and end samples), as vad.segments writes");
    const Tensor audio = r.tensor(audio_);
    if (audio.ndim() != 1) throw Error("the audio must be [T] samples (mono)");
    const std::span<const float> samples = audio.data<float>();
    const std::span<const int64_t> s = segs.data<int64_t>();
    const int64_t rate = r.integer(rate_);
    if (rate <= 0) throw Error("sample_rate " + std::to_string(rate) + " is not a rate in Hz");
    const double offset = r.real(offset_);
    const int64_t n = static_cast<int64_t>(samples.size());
    for (int64_t i = 0; i < segs.dim(0); ++i) {
      const int64_t a = s[static_cast<size_t>(2 * i)], b = s[static_cast<size_t>(2 * i + 1)];
      if (a < 0 || b <= a || b > n)
        throw Error("segment " + std::to_string(i) + " [" + std::to_string(a) + ", " + std::to_string(b) +
                    ") is not a range inside the " + std::to_string(n) + " samples of the recording");
    }
    const std::string id(r.string(id_));
    for (int64_t i = 0; i < segs.dim(0); ++i) {
      const int64_t a = s[static_cast<size_t>(2 * i)], b = s[static_cast<size_t>(2 * i + 1)];
      const double t0 = offset + static_cast<double>(a) / static_cast<double>(rate);
      const double t1 = offset + static_cast<double>(b) / static_cast<double>(rate);
      Record w = ctx.emit(&r);
      std::span<float> out = w.make_tensor<float>(audio_, {b - a});
      std::copy(samples.begin() + a, samples.begin() + b, out.begin());
      char times[64];
      std::snprintf(times, sizeof(times), ":%.3f-%.3f", t0, t1);
      w.set_string(id_, id + times);
      w.set_string(recording_, id);
      w.set_float(start_, t0);
      w.set_float(end_, t1);
      w.set_float(offset_, t0);
    }
    ctx.drop(r);
  }

 private:
  Slot input_, audio_, rate_, offset_, recording_, start_, end_, id_;
};

}  // namespace seqflow::vad
