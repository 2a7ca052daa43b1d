// The segment rules of get_speech_timestamps, transcribed statement by statement so that every edge
// case (the split at max_speech_duration_s, the padding shared between close segments) matches.
#include "segments.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace seqflow::vad {

std::string check_rules(const SegmentRules& r) {
  auto num = [](double v) {
    char b[32];
    std::snprintf(b, sizeof(b), "%g", v);
    return std::string(b);
  };
  if (!(r.threshold >= 0.0 && r.threshold <= 1.0))
    return "threshold = " + num(r.threshold) +
           " must lie between 0 and 1 (a speech probability; 0.5 is usual)";
  if (r.neg_threshold >= 0 && r.neg_threshold > r.threshold)
    return "neg_threshold = " + num(r.neg_threshold) + " is above threshold = " + num(r.threshold) +
           "; it is the lower exit threshold: use a value at most threshold, or -1 for threshold - 0.15";
  if (r.neg_threshold < 0 && r.neg_threshold != -1)
    return "neg_threshold = " + num(r.neg_threshold) +
           " is negative; use a value in [0, threshold], or -1 (the "
           "default) for threshold - 0.15";
  if (r.min_speech_duration_ms < 0)
    return "min_speech_duration_ms = " + std::to_string(r.min_speech_duration_ms) +
           " is negative; use 0 or more";
  if (r.min_silence_duration_ms < 0)
    return "min_silence_duration_ms = " + std::to_string(r.min_silence_duration_ms) +
           " is negative; use 0 or more";
  if (r.speech_pad_ms < 0)
    return "speech_pad_ms = " + std::to_string(r.speech_pad_ms) + " is negative; use 0 or more";
  if (r.min_silence_at_max_speech_ms < 0)
    return "min_silence_at_max_speech_ms = " + std::to_string(r.min_silence_at_max_speech_ms) +
           " is negative; use 0 or more";
  if (!(r.max_speech_duration_s > 0))
    return "max_speech_duration_s = " + num(r.max_speech_duration_s) +
           " must be positive; use inf (the default) for no limit";
  constexpr int64_t kMaxMs = int64_t{1} << 40;  // keeps sample_rate * ms exact in a double
  for (int64_t v :
       {r.min_speech_duration_ms, r.min_silence_duration_ms, r.speech_pad_ms, r.min_silence_at_max_speech_ms})
    if (v > kMaxMs)
      return "a duration of " + std::to_string(v) + " ms is beyond any recording; use a smaller value";
  return "";
}

int64_t window_samples(int64_t sample_rate) {
  return sample_rate == 16000 ? 512 : sample_rate == 8000 ? 256 : 0;
}

namespace {
// Python's a // b for integers (floor division).
int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}
}  // namespace

std::vector<Segment> speech_segments(std::span<const float> probs, int64_t num_samples, int64_t sample_rate,
                                     int64_t window, const SegmentRules& rules) {
  if (window <= 0) throw std::invalid_argument("the window must be at least one sample");
  const int64_t expected = (num_samples + window - 1) / window;
  if (static_cast<int64_t>(probs.size()) != expected)
    throw std::invalid_argument(std::to_string(probs.size()) + " speech probabilities for " +
                                std::to_string(num_samples) + " samples; windows of " +
                                std::to_string(window) + " samples need " + std::to_string(expected));
  const double sr = static_cast<double>(sample_rate);
  const double min_speech_samples = sr * static_cast<double>(rules.min_speech_duration_ms) / 1000.0;
  const double speech_pad_samples = sr * static_cast<double>(rules.speech_pad_ms) / 1000.0;
  const double max_speech_samples =
      sr * rules.max_speech_duration_s - static_cast<double>(window) - 2.0 * speech_pad_samples;
  const double min_silence_samples = sr * static_cast<double>(rules.min_silence_duration_ms) / 1000.0;
  const double min_silence_samples_at_max_speech =
      sr * static_cast<double>(rules.min_silence_at_max_speech_ms) / 1000.0;
  const double threshold = rules.threshold;
  const double neg_threshold = rules.neg_threshold < 0 ? threshold - 0.15 : rules.neg_threshold;

  bool triggered = false;
  std::vector<Segment> speeches;
  bool has_current = false;  // current_speech holds 'start'
  Segment current;
  int64_t temp_end = 0, prev_end = 0, next_start = 0;
  for (int64_t i = 0; i < static_cast<int64_t>(probs.size()); ++i) {
    // The package compares Python floats: the f32 probability widened to double.
    const double p = static_cast<double>(probs[static_cast<size_t>(i)]);
    const int64_t at = window * i;
    if (p >= threshold && temp_end != 0) {
      temp_end = 0;
      if (next_start < prev_end) next_start = at;
    }
    if (p >= threshold && !triggered) {
      triggered = true;
      current.start = at;
      has_current = true;
      continue;
    }
    if (triggered && static_cast<double>(at - current.start) > max_speech_samples) {
      if (prev_end != 0) {
        current.end = prev_end;
        speeches.push_back(current);
        has_current = false;
        if (next_start < prev_end) {
          triggered = false;
        } else {
          current.start = next_start;
          has_current = true;
        }
        prev_end = next_start = temp_end = 0;
      } else {
        current.end = at;
        speeches.push_back(current);
        has_current = false;
        prev_end = next_start = temp_end = 0;
        triggered = false;
        continue;
      }
    }
    if (p < neg_threshold && triggered) {
      if (temp_end == 0) temp_end = at;
      if (static_cast<double>(at - temp_end) > min_silence_samples_at_max_speech) prev_end = temp_end;
      if (static_cast<double>(at - temp_end) < min_silence_samples) continue;
      current.end = temp_end;
      if (static_cast<double>(current.end - current.start) > min_speech_samples) speeches.push_back(current);
      has_current = false;
      prev_end = next_start = temp_end = 0;
      triggered = false;
      continue;
    }
  }
  if (has_current && static_cast<double>(num_samples - current.start) > min_speech_samples) {
    current.end = num_samples;
    speeches.push_back(current);
  }

  // Python's int() of a non-negative float truncates.
  auto to_int = [](double v) { return static_cast<int64_t>(std::trunc(v)); };
  const size_t n = speeches.size();
  for (size_t i = 0; i < n; ++i) {
    Segment& s = speeches[i];
    if (i == 0) s.start = to_int(std::max(0.0, static_cast<double>(s.start) - speech_pad_samples));
    if (i != n - 1) {
      const int64_t silence = speeches[i + 1].start - s.end;
      if (static_cast<double>(silence) < 2.0 * speech_pad_samples) {
        s.end += floor_div(silence, 2);
        speeches[i + 1].start = std::max<int64_t>(0, speeches[i + 1].start - floor_div(silence, 2));
      } else {
        s.end = to_int(
            std::min(static_cast<double>(num_samples), static_cast<double>(s.end) + speech_pad_samples));
        speeches[i + 1].start =
            to_int(std::max(0.0, static_cast<double>(speeches[i + 1].start) - speech_pad_samples));
      }
    } else {
      s.end =
          to_int(std::min(static_cast<double>(num_samples), static_cast<double>(s.end) + speech_pad_samples));
    }
  }
  return speeches;
}

}  // namespace seqflow::vad
