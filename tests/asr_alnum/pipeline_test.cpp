// The asr_alnum pipelines through the CLI on the shipped recordings (tests/e2e/cases/asr_alnum/data)
// against tests/asr_alnum/reference (make_reference.py: the model in PyTorch on torchaudio's fbank, and
// a Python prefix beam search): every log-probability within 1e-4, identical transcripts and label
// frames, word times within 1e-6 s, for whole recordings (whole.toml) and VAD segments (pipeline.toml);
// the same bytes at one and two threads.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "support/test_files.hpp"

namespace fs = std::filesystem;

namespace {

const fs::path kApp = fs::path(SEQFLOW_SOURCE_DIR) / "pipelines" / "asr_alnum";

fs::path temp_dir(const std::string& name) {
  fs::path d = fs::path(SEQFLOW_BINARY_DIR) / "asr_alnum_test_out" / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

int run(const fs::path& pipeline, const fs::path& out, const std::string& fields, int threads) {
  const std::string cmd = std::string(SEQFLOW_BIN) + " run '" + pipeline.string() +
                          "' --no-progress --threads " + std::to_string(threads) +
                          " --set 'write.path=" + out.string() + "' --set 'write.fields=" + fields +
                          "' > /dev/null 2>&1";
  return std::system(cmd.c_str());
}

nlohmann::json load(const std::string& name) {
  std::ifstream in(std::string(ASR_REFERENCE) + "/" + name);
  REQUIRE(in);
  return nlohmann::json::parse(in);
}

// Compares the pipeline's output lines with the reference entries of the same ids.
void compare(const fs::path& jsonl, const nlohmann::json& ref) {
  const auto lines = seqflow::test::lines_of(seqflow::test::read_file(jsonl));
  REQUIRE(lines.size() == ref.size());
  double worst = 0;
  size_t values = 0;
  for (const std::string& line : lines) {
    const auto j = nlohmann::json::parse(line);
    const std::string id = j["id"];
    INFO(id);
    REQUIRE(ref.contains(id));
    const auto& r = ref[id];
    CHECK(j["text"] == r["text"]);
    CHECK(j["ids"] == r["ids"]);
    CHECK(j["frames"] == r["frames"]);
    const auto& lp = j["logprobs"];
    REQUIRE(lp.size() == r["logprobs"].size());
    for (size_t t = 0; t < lp.size(); ++t) {
      REQUIRE(lp[t].size() == r["logprobs"][t].size());
      for (size_t v = 0; v < lp[t].size(); ++v) {
        worst = std::max(worst, std::fabs(lp[t][v].get<double>() - r["logprobs"][t][v].get<double>()));
        ++values;
      }
    }
    REQUIRE(j["word_times"].size() == r["word_times"].size());
    for (size_t w = 0; w < r["word_times"].size(); ++w)
      for (int k = 0; k < 2; ++k)
        CHECK(std::fabs(j["word_times"][w][k].get<double>() - r["word_times"][w][k].get<double>()) < 1e-6);
  }
  INFO("max abs log-probability difference " << worst << " over " << values << " values");
  CHECK(worst < 1e-4);
  CHECK(values > 1000);
}

const std::string kFields = R"(["id", "text", "ids", "frames", "word_times", "logprobs"])";

}  // namespace

TEST_CASE("asr_alnum whole.toml equals PyTorch and the Python beam search", "[pipeline]") {
  const fs::path out = temp_dir("whole");
  REQUIRE(run(kApp / "whole.toml", out / "t.jsonl", kFields, 2) == 0);
  compare(out / "t.jsonl", load("whole.json"));
}

TEST_CASE("asr_alnum pipeline.toml (VAD segments) equals PyTorch and the Python beam search", "[pipeline]") {
  const fs::path out = temp_dir("vad");
  REQUIRE(run(kApp / "pipeline.toml", out / "t.jsonl", kFields, 2) == 0);
  compare(out / "t.jsonl", load("vad.json"));
  REQUIRE(run(kApp / "pipeline.toml", out / "t1.jsonl", kFields, 1) == 0);
  CHECK(seqflow::test::read_file(out / "t1.jsonl") == seqflow::test::read_file(out / "t.jsonl"));
}
