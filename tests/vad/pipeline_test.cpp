// The vad pipelines through the CLI on the shared recordings (../shared/data/audio): Silero VAD v5 on
// onednn against the silero-vad package on ONNX Runtime (tests/vad/reference): every window's
// probability within 1e-4, the segments of every reference rule set identical, the same bytes at one
// and two threads, and vad.cut's records holding exactly their segment's samples. Skipped (with a
// message) when the shared data is absent.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "reference_util.hpp"
#include "support/test_files.hpp"

namespace fs = std::filesystem;

namespace {

const fs::path kAudio = fs::path(SEQFLOW_SHARED_DATA) / "audio";
const fs::path kPipelines = fs::path(SEQFLOW_SOURCE_DIR) / "pipelines" / "vad";

fs::path temp_dir(const std::string& name) {
  fs::path d = fs::path(SEQFLOW_BINARY_DIR) / "vad_test_out" / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

// Runs `pipeline` with `sets` (each "stage.key=value", shell-quoted here); returns the exit code.
int run(const fs::path& pipeline, const std::vector<std::string>& sets, int threads = 2) {
  std::string cmd = std::string(SEQFLOW_BIN) + " run '" + pipeline.string() + "' --no-progress --threads " +
                    std::to_string(threads);
  for (const std::string& s : sets) cmd += " --set '" + s + "'";
  cmd += " > /dev/null 2>&1";
  return std::system(cmd.c_str());
}

std::string paths_set(const std::map<std::string, vadref::Recording>& recs) {
  std::string s = "read.paths=[";
  bool first = true;
  for (const auto& [id, r] : recs) {
    const fs::path file = r.root == "repo" ? fs::path(SEQFLOW_SOURCE_DIR) / r.file : kAudio / r.file;
    s += (first ? "\"" : ", \"") + file.string() + "\"";
    first = false;
  }
  return s + "]";
}

std::string toml_value(const nlohmann::json& v) {
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  char b[64];
  std::snprintf(b, sizeof(b), "%.17g", v.get<double>());
  std::string s = b;
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

}  // namespace

TEST_CASE("vad pipeline: probabilities and segments equal silero-vad's", "[pipeline]") {
  if (!fs::exists(kAudio / "silero_vad_test.wav")) {
    WARN("skipped: the shared recordings are absent (" << kAudio << ")");
    return;
  }
  const auto recs = vadref::recordings();
  const fs::path out = temp_dir("parity");
  REQUIRE(run(kPipelines / "vad.toml",
              {paths_set(recs), "write.path=" + (out / "all.jsonl").string(),
               "write.fields=[\"id\", \"sample_rate\", \"speech_probs\", \"segments\"]"}) == 0);
  const auto lines = vadref::read_jsonl((out / "all.jsonl").string());
  REQUIRE(lines.size() == recs.size());
  std::map<std::string, std::vector<seqflow::vad::Segment>> defaults;
  for (const auto& c : vadref::segment_cases())
    if (c.rules.empty()) defaults[c.id] = c.segments;
  double worst = 0;
  size_t windows = 0;
  for (const auto& j : lines) {
    const std::string id = j["id"];
    INFO(id);
    const auto& r = recs.at(id);
    CHECK(j["sample_rate"] == 16000);
    const auto& p = j["speech_probs"];
    REQUIRE(p.size() == r.probs.size());
    for (size_t i = 0; i < p.size(); ++i) {
      REQUIRE(p[i].size() == 1);
      worst = std::max(worst, std::fabs(p[i][0].get<double>() - static_cast<double>(r.probs[i])));
    }
    windows += p.size();
    CHECK(vadref::to_segments(j["segments"]) == defaults.at(id));
  }
  INFO("max abs probability difference " << worst << " over " << windows << " windows");
  CHECK(worst < 1e-4);
  CHECK(windows > 3500);
}

TEST_CASE("vad pipeline: every reference rule set through --set", "[pipeline]") {
  if (!fs::exists(kAudio / "silero_vad_test.wav")) {
    WARN("skipped: the shared recordings are absent (" << kAudio << ")");
    return;
  }
  const auto recs = vadref::recordings();
  std::map<std::string, std::vector<vadref::SegmentCase>> by_rules;
  for (const auto& c : vadref::segment_cases()) by_rules[c.rules.dump()].push_back(c);
  REQUIRE(by_rules.size() == 5);
  int k = 0;
  for (const auto& [key, cases] : by_rules) {
    INFO("rules " << key);
    const fs::path out = temp_dir("rules" + std::to_string(k++));
    std::vector<std::string> sets = {paths_set(recs), "write.path=" + (out / "s.jsonl").string()};
    for (const auto& [name, v] : cases.front().rules.items())
      sets.push_back("segments." + name + "=" + toml_value(v));
    REQUIRE(run(kPipelines / "vad.toml", sets) == 0);
    std::map<std::string, std::vector<seqflow::vad::Segment>> got;
    for (const auto& j : vadref::read_jsonl((out / "s.jsonl").string()))
      got[j["id"]] = vadref::to_segments(j["segments"]);
    REQUIRE(got.size() == recs.size());
    for (const auto& c : cases) {
      INFO(c.id);
      CHECK(got.at(c.id) == c.segments);
    }
  }
}

TEST_CASE("vad pipeline: the same bytes at one and two threads", "[pipeline]") {
  if (!fs::exists(kAudio / "silero_vad_test.wav")) {
    WARN("skipped: the shared recordings are absent (" << kAudio << ")");
    return;
  }
  const auto recs = vadref::recordings();
  const fs::path out = temp_dir("threads");
  const std::string fields = "write.fields=[\"id\", \"speech_probs\", \"segments\"]";
  REQUIRE(run(kPipelines / "vad.toml", {paths_set(recs), "write.path=" + (out / "t1.jsonl").string(), fields},
              1) == 0);
  REQUIRE(run(kPipelines / "vad.toml", {paths_set(recs), "write.path=" + (out / "t2.jsonl").string(), fields},
              2) == 0);
  // Two oneDNN threads in the model stage: the windows layer runs its blocks two at a time.
  REQUIRE(run(kPipelines / "vad.toml",
              {paths_set(recs), "write.path=" + (out / "m2.jsonl").string(), fields, "model.threads=2"},
              2) == 0);
  const std::string a = seqflow::test::read_file(out / "t1.jsonl");
  CHECK(a.size() > 10000);
  CHECK(a == seqflow::test::read_file(out / "t2.jsonl"));
  CHECK(a == seqflow::test::read_file(out / "m2.jsonl"));
}

TEST_CASE("vad.cut: one record per segment with its samples, id and times", "[pipeline]") {
  if (!fs::exists(kAudio / "silero_vad_test.wav")) {
    WARN("skipped: the shared recordings are absent (" << kAudio << ")");
    return;
  }
  const fs::path out = temp_dir("cut");
  const std::string file = (kAudio / "silero_vad_test.wav").string();
  REQUIRE(run(kPipelines / "cut.toml",
              {"read.paths=[\"" + file + "\"]", "write.path=" + (out / "cut.jsonl").string(),
               "write.fields=[\"id\", \"recording\", \"start\", \"end\", \"offset\", \"audio\"]"}) == 0);
  // The whole recording's samples as audio.read gives them (the cut must be a slice of them).
  REQUIRE(run(kPipelines / "vad.toml",
              {"read.paths=[\"" + file + "\"]", "write.path=" + (out / "whole.jsonl").string(),
               "write.fields=[\"id\", \"audio\"]"}) == 0);
  const auto whole = vadref::read_jsonl((out / "whole.jsonl").string());
  REQUIRE(whole.size() == 1);
  const auto& samples = whole[0]["audio"];
  std::vector<seqflow::vad::Segment> want;
  for (const auto& c : vadref::segment_cases())
    if (c.id == "silero_vad_test" && c.rules.empty()) want = c.segments;
  const auto cut = vadref::read_jsonl((out / "cut.jsonl").string());
  REQUIRE(cut.size() == want.size());
  REQUIRE(want.size() == 16);
  for (size_t i = 0; i < cut.size(); ++i) {
    const auto& j = cut[i];
    const auto [a, b] = want[i];
    char id[96];
    std::snprintf(id, sizeof(id), "silero_vad_test:%.3f-%.3f", a / 16000.0, b / 16000.0);
    CHECK(j["id"] == id);
    CHECK(j["recording"] == "silero_vad_test");
    CHECK(j["start"].get<double>() == Approx(a / 16000.0).margin(1e-9));
    CHECK(j["end"].get<double>() == Approx(b / 16000.0).margin(1e-9));
    CHECK(j["offset"].get<double>() == Approx(a / 16000.0).margin(1e-9));
    const auto& audio = j["audio"];
    REQUIRE(static_cast<int64_t>(audio.size()) == b - a);
    bool same = true;
    for (int64_t t = 0; t < b - a; ++t)
      same = same && audio[static_cast<size_t>(t)] == samples[static_cast<size_t>(a + t)];
    CHECK(same);
  }
}
