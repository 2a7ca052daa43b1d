// The committed silero-vad reference (tests/vad/reference, made by make_reference.py): per-window
// probabilities per recording, and segments per recording and rule set.
#pragma once

#include <nlohmann/json.hpp>

#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "segments.hpp"

namespace vadref {

struct Recording {
  std::string id, root, file;  // file: under ../shared/data/audio, or the repo's when root is "repo"
  int64_t num_samples = 0;
  std::vector<float> probs;
};

struct SegmentCase {
  std::string id;
  nlohmann::json rules;
  std::vector<seqflow::vad::Segment> segments;
};

inline std::vector<nlohmann::json> read_jsonl(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::vector<nlohmann::json> out;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  return out;
}

inline std::map<std::string, Recording> recordings() {
  std::map<std::string, Recording> m;
  for (const auto& j : read_jsonl(std::string(VAD_REFERENCE) + "/probs.jsonl")) {
    Recording r;
    r.id = j["id"];
    r.root = j["root"];
    r.file = j["file"];
    r.num_samples = j["num_samples"];
    for (double p : j["probs"]) r.probs.push_back(static_cast<float>(p));
    m[r.id] = r;
  }
  return m;
}

inline std::vector<seqflow::vad::Segment> to_segments(const nlohmann::json& a) {
  std::vector<seqflow::vad::Segment> s;
  for (const auto& p : a) s.push_back({p[0].get<int64_t>(), p[1].get<int64_t>()});
  return s;
}

inline std::vector<SegmentCase> segment_cases() {
  std::vector<SegmentCase> v;
  for (const auto& j : read_jsonl(std::string(VAD_REFERENCE) + "/segments.jsonl"))
    v.push_back({j["id"], j["rules"], to_segments(j["segments"])});
  return v;
}

/// get_speech_timestamps' keyword arguments as SegmentRules (absent keys: the package's defaults).
inline seqflow::vad::SegmentRules to_rules(const nlohmann::json& j) {
  seqflow::vad::SegmentRules r;
  if (j.contains("threshold")) r.threshold = j["threshold"];
  if (j.contains("neg_threshold")) r.neg_threshold = j["neg_threshold"];
  if (j.contains("min_speech_duration_ms")) r.min_speech_duration_ms = j["min_speech_duration_ms"];
  if (j.contains("max_speech_duration_s")) r.max_speech_duration_s = j["max_speech_duration_s"];
  if (j.contains("min_silence_duration_ms")) r.min_silence_duration_ms = j["min_silence_duration_ms"];
  if (j.contains("speech_pad_ms")) r.speech_pad_ms = j["speech_pad_ms"];
  return r;
}

}  // namespace vadref
