// Failing plugins through the real CLI: every input record ends in exactly one place (an output line or
// an error-log entry), the stats JSON proves the count, and a failed run leaves no output behind.
// The plugins are the test-only seqflow_faulty module (plugins/faulty.cpp); expected counts come from
// the input this test writes, not from the engine.
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include "support/test_files.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

using seqflow::test::lines_of;
using seqflow::test::read_file;

namespace {

// A fresh folder with a pipeline read -> bad (a faulty component) -> write, and its input.
class Case {
 public:
  Case(const std::string& plugin, const std::string& on_error, const std::vector<std::string>& input) {
    dir_ = fs::temp_directory_path() /
           ("seqflow_faulty_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "out");
    std::ofstream(dir_ / "pipeline.toml") << "[pipeline]\nname = \"faulty\"\non_error = \"" << on_error
                                          << "\"\nerror_log = \"out/errors.jsonl\"\n"
                                          << "[[stage]]\nname = \"read\"\nplugin = \"io.lines_read\"\n"
                                          << "paths = [\"input.txt\"]\n"
                                          << "[[stage]]\nname = \"bad\"\nplugin = \"" << plugin << "\"\n"
                                          << "[[stage]]\nname = \"write\"\nplugin = \"io.lines_write\"\n"
                                          << "path = \"out/out.txt\"\n";
    std::ofstream in(dir_ / "input.txt");
    for (const std::string& line : input) in << line << '\n';
  }
  ~Case() { fs::remove_all(dir_); }

  int run(int threads) {
    std::string cmd = "SEQFLOW_PLUGIN_PATH='" SEQFLOW_BINARY_DIR "/test_plugins' '" SEQFLOW_BIN "' run '" +
                      (dir_ / "pipeline.toml").string() + "' --no-progress --threads " +
                      std::to_string(threads) + " --stats '" + (dir_ / "stats.json").string() + "' 2> '" +
                      (dir_ / "stderr.txt").string() + "' > /dev/null";
    int status = std::system(cmd.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  fs::path out() const { return dir_ / "out"; }
  std::string err() const { return read_file(dir_ / "stderr.txt"); }
  nlohmann::json stage(const std::string& name) const {
    nlohmann::json stats = nlohmann::json::parse(read_file(dir_ / "stats.json"));
    for (const auto& s : stats["stages"])
      if (s["name"] == name) return s;
    FAIL("no stage '" << name << "' in the stats");
    return {};
  }

 private:
  fs::path dir_;
  static inline int counter_ = 0;
};

// 300 lines; those with n % 7 == 3 contain "boom" somewhere.
std::vector<std::string> mixed_input() {
  std::vector<std::string> lines;
  for (int n = 0; n < 300; ++n)
    lines.push_back(n % 7 == 3 ? "line " + std::to_string(n) + " kaboom" : "line " + std::to_string(n));
  return lines;
}

}  // namespace

TEST_CASE(
    "on_error = skip: records a plugin throws on go to the error log, the rest are written, counts add up") {
  const std::string plugin = GENERATE(as<std::string>{}, "faulty.boom", "faulty.throw_int");
  const std::vector<std::string> input = mixed_input();
  std::vector<std::string> kept;
  std::vector<std::string> failed_ids;
  for (size_t i = 0; i < input.size(); ++i) {
    if (input[i].find("boom") == std::string::npos) kept.push_back(input[i]);
    else failed_ids.push_back("input.txt:" + std::to_string(i + 1));
  }
  REQUIRE(failed_ids.size() == 43);  // n = 3, 10, ..., 297

  Case c(plugin, "skip", input);
  REQUIRE(c.run(4) == 0);

  CHECK(lines_of(read_file(c.out() / "out.txt")) == kept);

  std::vector<std::string> log = lines_of(read_file(c.out() / "errors.jsonl"));
  REQUIRE(log.size() == failed_ids.size());
  for (size_t i = 0; i < log.size(); ++i) {
    nlohmann::json e = nlohmann::json::parse(log[i]);
    CHECK(e["stage"] == "bad");
    CHECK(e["plugin"] == plugin);
    CHECK(e["record"] == failed_ids[i]);
    CHECK(e["reason"].get<std::string>().find(
              plugin == "faulty.boom" ? "contains boom" : "an exception not derived from std::exception") !=
          std::string::npos);
  }

  nlohmann::json read = c.stage("read"), bad = c.stage("bad"), write = c.stage("write");
  CHECK(read["out"] == input.size());
  CHECK(bad["in"] == input.size());
  CHECK(bad["out"] == kept.size());
  CHECK(bad["skipped"] == failed_ids.size());
  CHECK(bad["filtered"] == 0);
  CHECK(write["in"] == kept.size());
  CHECK(write["out"] == kept.size());
}

TEST_CASE("on_error = fail: a record a plugin throws on fails the run, and no output file appears") {
  const std::string plugin = GENERATE(as<std::string>{}, "faulty.boom", "faulty.throw_int");
  Case c(plugin, "fail", mixed_input());
  REQUIRE(c.run(4) == 1);
  CHECK(c.err().find("error: stage 'bad' (" + plugin + ") record 'input.txt:") != std::string::npos);
  CHECK(!fs::exists(c.out() / "out.txt"));
  // Not even a partial or temporary file: the writer discards what it had.
  for (const auto& e : fs::directory_iterator(c.out())) CHECK(e.path().filename() == "errors.jsonl");
}

TEST_CASE("a stage whose constructor throws fails the run before any output") {
  Case c("faulty.ctor_throws", "skip", {"alpha", "beta"});
  REQUIRE(c.run(2) == 1);
  CHECK(c.err().find(
            "error: stage 'bad' (faulty.ctor_throws): faulty.ctor_throws refuses to start (test plugin)") !=
        std::string::npos);
  CHECK(!fs::exists(c.out() / "out.txt"));
}
