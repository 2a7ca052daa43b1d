// Speech segments from per-window speech probabilities: the rules of Silero VAD's
// get_speech_timestamps (silero-vad 5.1.2, utils_vad.py), after its model loop.
//
// What it is: a pure function over a probability per window of `window` samples (512 at 16 kHz, 256
// at 8 kHz: window i covers samples [i * window, (i + 1) * window)) and the recording's length, giving
// [start, end) sample ranges exactly as the package computes them, its float arithmetic included
// (sample counts from milliseconds are doubles, as Python's true division makes them).
// Lifecycle: SegmentRules is checked once (check_rules), then used for any number of recordings.
// Threading: no state; safe from any thread. Ownership: returns values.
// Errors: check_rules returns why a rule is invalid ("" when valid); speech_segments throws
// std::invalid_argument when the probabilities do not cover the recording (ceil(samples / window)).
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

namespace seqflow::vad {

struct SegmentRules {
  double threshold = 0.5;
  double neg_threshold = -1;  // below 0: threshold - 0.15, the package's default
  int64_t min_speech_duration_ms = 250;
  double max_speech_duration_s = std::numeric_limits<double>::infinity();
  int64_t min_silence_duration_ms = 100;
  int64_t speech_pad_ms = 30;
  // The silence a segment longer than max_speech_duration_s may be split at; 5.1.2 fixes it at 98 ms.
  int64_t min_silence_at_max_speech_ms = 98;
};

struct Segment {
  int64_t start = 0, end = 0;  // samples, [start, end)
  bool operator==(const Segment&) const = default;
};

/// "" when `r` is valid, else what is wrong and what to use instead.
std::string check_rules(const SegmentRules& r);

/// The samples per probability at `sample_rate` (512 at 16000 Hz, 256 at 8000 Hz), or 0 for a rate
/// Silero VAD does not run at.
int64_t window_samples(int64_t sample_rate);

/// get_speech_timestamps' segments for `probs` over a recording of `num_samples` samples.
std::vector<Segment> speech_segments(std::span<const float> probs, int64_t num_samples, int64_t sample_rate,
                                     int64_t window, const SegmentRules& rules);

}  // namespace seqflow::vad
