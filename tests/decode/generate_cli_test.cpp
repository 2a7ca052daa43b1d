// decode.generate through the CLI on the step-capable parity models of tests/onednn (GPT-2, LLaMA and
// Whisper-style decoders), against Hugging Face generate() with the same weights and parameters
// (fixtures/generate_hf.json, made by make_generate_fixtures.py); and sampling that gives the same ids
// at 1 and 2 threads and at any batch size.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "support/test_files.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const fs::path kOnednn = fs::path(SEQFLOW_SOURCE_DIR) / "tests" / "onednn" / "fixtures";

// The [resources.*] tables of an onednn parity fixture, with the weights path made absolute.
std::string resources_of(const std::string& model) {
  std::string text = seqflow::test::read_file(kOnednn / model / "pipeline.toml");
  const size_t a = text.find("[resources.");
  const size_t b = text.find("[[stage]]");
  REQUIRE(a != std::string::npos);
  std::string res = text.substr(a, b - a);
  const std::string from = "weights = \"model.safetensors\"";
  const std::string to = "weights = \"" + (kOnednn / model / "model.safetensors").string() + "\"";
  for (size_t at = res.find(from); at != std::string::npos; at = res.find(from, at + to.size()))
    res.replace(at, from.size(), to);
  return res;
}

std::string toml_of(const json& v) {
  if (v.is_boolean()) return v.get<bool>() ? "\"true\"" : "\"false\"";  // early_stopping's strings
  if (v.is_string()) return "\"" + v.get<std::string>() + "\"";
  return v.dump();
}

int run(const fs::path& dir, const std::string& args) {
  const std::string cmd = "cd '" + dir.string() + "' && '" + SEQFLOW_BIN + "' " + args + " > log.txt 2>&1";
  return std::system(cmd.c_str());
}

std::map<std::string, json> outputs(const fs::path& file) {
  std::map<std::string, json> out;
  for (const std::string& line : seqflow::test::lines_of(seqflow::test::read_file(file)))
    if (!line.empty()) {
      json j = json::parse(line);
      out[j["id"]] = j;
    }
  return out;
}

}  // namespace

TEST_CASE("greedy and beam search give generate()'s ids and scores", "[generate]") {
  std::ifstream in(fs::path(SEQFLOW_SOURCE_DIR) / "tests" / "decode" / "fixtures" / "generate_hf.json");
  REQUIRE(in.good());
  const json fixture = json::parse(in);
  std::map<std::pair<std::string, std::string>, std::vector<json>> groups;
  for (const json& c : fixture["cases"]) groups[{c["model"], c["config"]}].push_back(c);
  std::map<std::string, json> configs;
  for (const json& c : fixture["configs"]) configs[c["name"]] = c;
  int compared = 0;
  for (const auto& [key, cases] : groups) {
    const auto& [model, config_name] = key;
    INFO(model << " / " << config_name);
    const json& cfg = configs.at(config_name);
    const bool whisper = model == "whisper_decoder";
    fs::path dir = fs::path(SEQFLOW_BINARY_DIR) / "tests" / "decode_generate" / (model + "_" + config_name);
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::ofstream records(dir / "records.jsonl");
    for (const json& c : cases) {
      json r = {{"id", c["record"]}, {"ids", c["prompt"]}};
      if (whisper) r["x"] = c["memory_tokens"];
      records << r.dump() << "\n";
    }
    records.close();
    std::ostringstream p;
    p << "[pipeline]\nname = \"hf-parity\"\n" << resources_of(model);
    p << "[[stage]]\nname = \"read\"\nplugin = \"io.jsonl_read\"\npaths = [\"records.jsonl\"]\n"
      << "fields = { ids = \"tensor:i64\"" << (whisper ? ", x = \"tensor:i64\"" : "") << " }\n";
    if (whisper)
      p << "[[stage]]\nname = \"memory\"\nplugin = \"onednn.run\"\nmodel = \"memory_model\"\ninput = \"x\"\n"
        << "output = \"memory\"\n";
    p << "[[stage]]\nname = \"gen\"\nplugin = \"decode.generate\"\nmodel = \"model\"\nbatch = { size = 3 }\n";
    if (whisper) p << "memory = \"memory\"\n";
    for (const auto& [k, v] : cfg.items())
      if (k != "name") p << k << " = " << (k == "eos_token_id" ? v.dump() : toml_of(v)) << "\n";
    if (!cfg.contains("eos_token_id")) p << "eos_token_id = [39]\n";
    p << "[[stage]]\nname = \"write\"\nplugin = \"io.jsonl_write\"\npath = \"out.jsonl\"\n"
      << "fields = [\"id\", \"generated\", \"scores\"]\n";
    std::ofstream(dir / "pipeline.toml") << p.str();
    REQUIRE(run(dir, "run pipeline.toml --threads 2 --no-progress") == 0);
    auto got = outputs(dir / "out.jsonl");
    for (const json& c : cases) {
      INFO("record " << c["record"].get<std::string>());
      const json& g = got.at(c["record"]);
      const int n = cfg.value("num_return_sequences", 1);
      std::vector<std::vector<int>> ids;
      if (n == 1) {
        ids.push_back(g["generated"].get<std::vector<int>>());
      } else {
        for (const json& row : g["generated"]) {
          std::vector<int> s;
          for (int v : row)
            if (v >= 0) s.push_back(v);
          ids.push_back(s);
        }
      }
      CHECK(ids == c["ids"].get<std::vector<std::vector<int>>>());
      if (!c["scores"].is_null())
        for (size_t k = 0; k < c["scores"].size(); ++k)
          CHECK(g["scores"][k].get<double>() == Approx(c["scores"][k].get<double>()).margin(2e-4));
      ++compared;
    }
  }
  CHECK(compared == 84);
}

TEST_CASE("sampling gives the same ids at 1 and 2 threads and any batch size", "[generate]") {
  fs::path dir = fs::path(SEQFLOW_BINARY_DIR) / "tests" / "decode_generate" / "sample_threads";
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream records(dir / "records.jsonl");
  for (int i = 0; i < 12; ++i)
    records << json({{"id", "s" + std::to_string(i)}, {"ids", {(i * 7) % 40, (i * 3 + 1) % 40}}}).dump()
            << "\n";
  records.close();
  auto pipeline = [&](int batch) {
    std::ostringstream p;
    p << "[pipeline]\nname = \"sample\"\n"
      << resources_of("gpt2_lm")
      << "[[stage]]\nname = \"read\"\nplugin = \"io.jsonl_read\"\npaths = [\"records.jsonl\"]\n"
      << "fields = { ids = \"tensor:i64\" }\n"
      << "[[stage]]\nname = \"gen\"\nplugin = \"decode.generate\"\nmodel = \"model\"\nmode = \"sample\"\n"
      << "temperature = 1.5\ntop_k = 20\ntop_p = 0.95\nmax_new_tokens = 16\nnum_return_sequences = 2\n"
      << "seed = 42\nbatch = { size = " << batch << " }\n"
      << "[[stage]]\nname = \"write\"\nplugin = \"io.jsonl_write\"\npath = \"out" << batch << ".jsonl\"\n"
      << "fields = [\"id\", \"generated\", \"scores\"]\n";
    std::ofstream(dir / ("p" + std::to_string(batch) + ".toml")) << p.str();
  };
  pipeline(1);
  pipeline(5);
  REQUIRE(run(dir, "run p1.toml --threads 1 --no-progress") == 0);
  REQUIRE(run(dir, "run p5.toml --threads 2 --no-progress") == 0);
  const std::string a = seqflow::test::read_file(dir / "out1.jsonl");
  const std::string b = seqflow::test::read_file(dir / "out5.jsonl");
  CHECK(a.size() > 200);
  CHECK(a == b);
  // The two sequences of a record are drawn independently: they differ for most records.
  int differ = 0;
  for (const auto& [id, j] : outputs(dir / "out1.jsonl")) differ += j["generated"][0] != j["generated"][1];
  CHECK(differ >= 6);
}
