// vad.segments' rules (segments.hpp) against silero-vad 5.1.2's get_speech_timestamps: for every
// recording and rule set of the committed reference, the package's segments from the package's own
// probabilities; plus hand-calculated cases and the parameter checks. Needs no shared data.
#include <catch2/catch.hpp>

#include <limits>

#include "reference_util.hpp"
#include "segments.hpp"

using seqflow::vad::check_rules;
using seqflow::vad::Segment;
using seqflow::vad::SegmentRules;
using seqflow::vad::speech_segments;

TEST_CASE("segments equal get_speech_timestamps on the package's probabilities", "[segments]") {
  const auto recs = vadref::recordings();
  const auto cases = vadref::segment_cases();
  REQUIRE(recs.size() == 39);
  REQUIRE(cases.size() == 39 * 5);
  size_t nonempty = 0, segments = 0;
  for (const auto& c : cases) {
    const auto& r = recs.at(c.id);
    const SegmentRules rules = vadref::to_rules(c.rules);
    REQUIRE(check_rules(rules).empty());
    INFO(c.id << " rules " << c.rules.dump());
    CHECK(speech_segments(r.probs, r.num_samples, 16000, 512, rules) == c.segments);
    nonempty += c.segments.empty() ? 0 : 1;
    segments += c.segments.size();
  }
  // The reference exercises the rules: most recordings have speech, and the 60 s test file many segments.
  CHECK(nonempty > 150);
  CHECK(segments > 300);
}

namespace {
// 20 windows of 512 samples at 16 kHz, probability 0.9 on windows [from, to), 0 elsewhere.
std::vector<float> burst(int from, int to, int n = 20) {
  std::vector<float> p(static_cast<size_t>(n), 0.f);
  for (int i = from; i < to; ++i) p[static_cast<size_t>(i)] = 0.9f;
  return p;
}
}  // namespace

TEST_CASE("segments by hand", "[segments]") {
  const SegmentRules d;  // threshold 0.5, exit 0.35, 250 ms = 4000 samples, 100 ms = 1600, pad 30 ms = 480
  // Speech on windows 2..11: starts at 1024; silence from 6144, ended once 1600 samples have passed
  // (window 16); 5120 > 4000 samples kept; padded by 480 each side.
  CHECK(speech_segments(burst(2, 12), 10240, 16000, 512, d) == std::vector<Segment>{{544, 6624}});
  // 7 windows = 3584 samples: not longer than 4000, dropped.
  CHECK(speech_segments(burst(2, 9), 10240, 16000, 512, d).empty());
  // Speech to the end of a 10000-sample recording (20 windows, the last partial): ends at 10000, and the
  // padding stops there.
  CHECK(speech_segments(burst(10, 20), 10000, 16000, 512, d) == std::vector<Segment>{{5120 - 480, 10000}});
  // Two bursts 2048 samples apart with 600 ms padding: the gap is shared, each side gets 1024.
  SegmentRules pad = d;
  pad.speech_pad_ms = 600;
  pad.min_speech_duration_ms = 0;
  const std::vector<float> two = [] {
    std::vector<float> p = burst(0, 4, 40);
    for (int i = 12; i < 16; ++i) p[static_cast<size_t>(i)] = 0.9f;
    return p;
  }();
  // First: [0, 2048) ends at 2048 (window 4; silence ends it at window 8 >= 1600 samples later).
  // Second: [6144, 8192). Gap 4096 < 2 * 9600: first end += 2048, second start -= 2048.
  CHECK(speech_segments(two, 40 * 512, 16000, 512, pad) ==
        std::vector<Segment>{{0, 4096}, {4096, 8192 + 9600}});
  // max_speech_duration_s: 0.25 s at 16 kHz without padding allows 4000 - 512 = 3488 samples; speech on
  // every window, no silence to split at: window 7 (3584 > 3488) closes [0, 3584) and opens nothing,
  // window 8 starts the next segment, which runs to the end.
  SegmentRules cap = d;
  cap.max_speech_duration_s = 0.25;
  cap.min_speech_duration_ms = 0;
  cap.speech_pad_ms = 0;
  CHECK(speech_segments(burst(0, 12, 12), 12 * 512, 16000, 512, cap) ==
        std::vector<Segment>{{0, 3584}, {4096, 6144}});
}

TEST_CASE("probabilities must cover the recording", "[segments]") {
  CHECK_THROWS_WITH(
      speech_segments(burst(0, 2, 3), 10240, 16000, 512, SegmentRules{}),
      Catch::Contains("3 speech probabilities for 10240 samples") && Catch::Contains("need 20"));
  CHECK(speech_segments({}, 0, 16000, 512, SegmentRules{}).empty());
}

TEST_CASE("bad rules are named", "[segments]") {
  SegmentRules r;
  r.threshold = 1.5;
  CHECK_THAT(check_rules(r), Catch::Contains("threshold = 1.5") && Catch::Contains("between 0 and 1"));
  r = {};
  r.neg_threshold = 0.7;
  CHECK_THAT(check_rules(r), Catch::Contains("neg_threshold = 0.7") && Catch::Contains("above threshold"));
  r = {};
  r.neg_threshold = -0.2;
  CHECK_THAT(check_rules(r), Catch::Contains("negative"));
  r = {};
  r.min_speech_duration_ms = -1;
  CHECK_THAT(check_rules(r), Catch::Contains("min_speech_duration_ms = -1"));
  r = {};
  r.min_silence_duration_ms = -5;
  CHECK_THAT(check_rules(r), Catch::Contains("min_silence_duration_ms = -5"));
  r = {};
  r.speech_pad_ms = -30;
  CHECK_THAT(check_rules(r), Catch::Contains("speech_pad_ms = -30"));
  r = {};
  r.max_speech_duration_s = 0;
  CHECK_THAT(check_rules(r), Catch::Contains("max_speech_duration_s") && Catch::Contains("positive"));
  r.max_speech_duration_s = std::numeric_limits<double>::quiet_NaN();
  CHECK_FALSE(check_rules(r).empty());
  r = {};
  r.threshold = std::numeric_limits<double>::quiet_NaN();
  CHECK_FALSE(check_rules(r).empty());
  CHECK(check_rules(SegmentRules{}).empty());
}
