// The language identification pipeline (pipelines/text_langid) through the CLI on its shipped samples,
// against the committed reference of tests/text_langid/reference (sentencepiece 0.1.97's ids, PyTorch
// 1.13's logits of the same model, each record alone): ids identical, logits and scores within 1e-4,
// labels identical, the record without tokens in the error log and nowhere else, and the same output
// bytes at one and two threads, with and without batching.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "support/test_files.hpp"

namespace fs = std::filesystem;

namespace {

const fs::path kPipelines = fs::path(SEQFLOW_SOURCE_DIR) / "pipelines" / "text_langid";

fs::path temp_dir(const std::string& name) {
  fs::path d = fs::path(SEQFLOW_BINARY_DIR) / "text_langid_test_out" / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

// Runs `pipeline` with `sets` (each "stage.key=value", shell-quoted here); returns the exit code.
int run(const fs::path& pipeline, const std::vector<std::string>& sets, int threads) {
  std::string cmd = std::string(SEQFLOW_BIN) + " run '" + pipeline.string() + "' --no-progress --threads " +
                    std::to_string(threads);
  for (const std::string& s : sets) cmd += " --set '" + s + "'";
  cmd += " > /dev/null 2>&1";
  return std::system(cmd.c_str());
}

std::vector<nlohmann::json> read_jsonl(const fs::path& path) {
  std::vector<nlohmann::json> out;
  for (const std::string& line : seqflow::test::lines_of(seqflow::test::read_file(path)))
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  return out;
}

std::vector<std::string> sets_for(const fs::path& out, const std::string& name) {
  return {"write.path=" + (out / (name + ".jsonl")).string(),
          "write.fields=[\"id\", \"ids\", \"logits\", \"label\", \"score\"]",
          "pipeline.error_log=" + (out / (name + "_errors.jsonl")).string()};
}

}  // namespace

TEST_CASE("text_langid: ids, logits, labels and scores equal sentencepiece's and PyTorch's", "[pipeline]") {
  const auto reference = read_jsonl(fs::path(LANGID_REFERENCE) / "expected.jsonl");
  REQUIRE(reference.size() > 70);
  const fs::path out = temp_dir("parity");
  REQUIRE(run(kPipelines / "pipeline.toml", sets_for(out, "t2"), 2) == 0);
  std::map<std::string, nlohmann::json> got;
  for (const auto& j : read_jsonl(out / "t2.jsonl")) got[j["id"]] = j;
  std::vector<std::string> logged;
  for (const auto& j : read_jsonl(out / "t2_errors.jsonl")) logged.push_back(j.value("record", ""));

  double worst_logit = 0, worst_score = 0;
  size_t compared = 0, truncated = 0;
  for (const auto& r : reference) {
    const std::string id = r["id"];
    INFO(id);
    if (r["ids"].is_null()) {  // no tokens: an error record, never an output line
      CHECK(got.count(id) == 0);
      CHECK(std::count(logged.begin(), logged.end(), id) == 1);
      continue;
    }
    REQUIRE(got.count(id) == 1);
    const auto& g = got[id];
    CHECK(g["ids"] == r["ids"]);
    truncated += r["ids"].size() == 128;
    REQUIRE(g["logits"].size() == 1);
    REQUIRE(g["logits"][0].size() == r["logits"].size());
    for (size_t c = 0; c < r["logits"].size(); ++c)
      worst_logit =
          std::max(worst_logit, std::fabs(g["logits"][0][c].get<double>() - r["logits"][c].get<double>()));
    CHECK(g["label"] == r["label"]);
    worst_score = std::max(worst_score, std::fabs(g["score"].get<double>() - r["score"].get<double>()));
    ++compared;
  }
  INFO("max abs logit error " << worst_logit << ", score error " << worst_score << " over " << compared);
  CHECK(worst_logit < 1e-4);
  CHECK(worst_score < 1e-4);
  CHECK(got.size() == compared);
  CHECK(truncated == 1);  // the long paragraph: cut to max_length = 128 as the reference cut it
}

TEST_CASE("text_langid: the same bytes at one and two threads, batched or not", "[pipeline]") {
  const fs::path out = temp_dir("threads");
  REQUIRE(run(kPipelines / "pipeline.toml", sets_for(out, "t1"), 1) == 0);
  REQUIRE(run(kPipelines / "pipeline.toml", sets_for(out, "t2"), 2) == 0);
  auto unbatched = sets_for(out, "b1");
  unbatched.push_back("model.batch={ size = 1 }");
  REQUIRE(run(kPipelines / "pipeline.toml", unbatched, 2) == 0);
  const std::string a = seqflow::test::read_file(out / "t1.jsonl");
  CHECK(a.size() > 10000);
  CHECK(a == seqflow::test::read_file(out / "t2.jsonl"));
  CHECK(a == seqflow::test::read_file(out / "b1.jsonl"));
}
