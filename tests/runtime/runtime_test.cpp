// Runs pipelines of testkit and io components through the `seqflow` CLI and checks what they
// produce, the stats JSON and the exit codes. Expected values come from the test's own arithmetic.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <nlohmann/json.hpp>
#include "support/test_files.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

using seqflow::test::lines_of;
using seqflow::test::read_file;

namespace {

struct Result {
  int exit_code = -1;
  std::string err;
};

class Workspace {
 public:
  Workspace() {
    dir_ = fs::temp_directory_path() /
           ("seqflow_runtime_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  ~Workspace() { fs::remove_all(dir_); }
  const fs::path& dir() const { return dir_; }
  fs::path write(const std::string& name, const std::string& text) const {
    fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }
  Result run(const std::string& args) const {
    std::string cmd = "cd '" + dir_.string() +
                      "' && SEQFLOW_PLUGIN_PATH='" SEQFLOW_BINARY_DIR "/test_plugins' '" SEQFLOW_BIN "' " +
                      args + " --no-progress 2> '" + (dir_ / "stderr.txt").string() + "' > /dev/null";
    int status = std::system(cmd.c_str());
    Result r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.err = read_file(dir_ / "stderr.txt");
    return r;
  }
  nlohmann::json stats() const { return nlohmann::json::parse(read_file(dir_ / "stats.json")); }

 private:
  fs::path dir_;
  static inline int counter_ = 0;
};

const nlohmann::json& stage(const nlohmann::json& stats, const std::string& name) {
  for (const auto& s : stats["stages"])
    if (s["name"] == name) return s;
  FAIL("no stage " << name << " in stats");
  throw;
}

std::string counted(int count, const std::string& middle, const std::string& header = "") {
  return "[pipeline]\nname = \"t\"\n" + header +
         "\n[[stage]]\nname = \"gen\"\nplugin = \"testkit.count\"\ncount = " + std::to_string(count) + "\n" +
         middle + "\n[[stage]]\nname = \"write\"\nplugin = \"io.jsonl_write\"\npath = \"out.jsonl\"\n";
}

}  // namespace

TEST_CASE("output is byte-identical with 1 and 2 threads on 100000 records of uneven cost") {
  Workspace w;
  w.write("p.toml", counted(100000, "[[stage]]\nname = \"work\"\nplugin = \"testkit.work\"\nscale = 20\n") +
                        "fields = [\"id\", \"n\", \"h\"]\n");
  Result one = w.run("run p.toml --threads 1 --stats stats.json");
  REQUIRE(one.exit_code == 0);
  std::string out1 = read_file(w.dir() / "out.jsonl");
  Result two = w.run("run p.toml --threads 2 --stats stats.json");
  REQUIRE(two.exit_code == 0);
  std::string out2 = read_file(w.dir() / "out.jsonl");
  CHECK(out1 == out2);
  std::vector<std::string> lines = lines_of(out1);
  REQUIRE(lines.size() == 100000);
  for (size_t i : {size_t{0}, size_t{1}, size_t{4999}, size_t{99999}}) {
    auto j = nlohmann::json::parse(lines[i]);
    CHECK(j["id"] == "r" + std::to_string(i));
    CHECK(j["n"] == i);
  }
  auto s = w.stats();
  CHECK(s["threads"] == 2);
  CHECK(stage(s, "gen")["out"] == 100000);
  CHECK(stage(s, "work")["in"] == 100000);
  CHECK(stage(s, "write")["out"] == 100000);
}

TEST_CASE("records alive never exceed max_in_flight") {
  for (int mif : {16, 64, 256}) {
    Workspace w;
    w.write("p.toml", counted(20000, "[[stage]]\nname = \"work\"\nplugin = \"testkit.work\"\nscale = 5\n",
                              "max_in_flight = " + std::to_string(mif) + "\n"));
    REQUIRE(w.run("run p.toml --threads 2 --stats stats.json").exit_code == 0);
    auto s = w.stats();
    INFO("max_in_flight = " << mif);
    CHECK(s["peak_live_records"].get<int>() <= mif);
    CHECK(s["peak_live_records"].get<int>() > 0);
    CHECK(stage(s, "write")["out"] == 20000);
  }
}

TEST_CASE("every thread finds work: chunks shrink as threads grow, and the default bound grows with them") {
  // 16 threads whatever the machine (an explicit count above the cores is honoured) on a stage that
  // sleeps 2 ms per record, so that its calls overlap however few cores there are. With a fixed eight
  // chunks in flight at most eight threads could ever be busy.
  for (const std::string header : {std::string(), std::string("max_in_flight = 256\n")}) {
    Workspace w;
    w.write("p.toml",
            counted(1600, "[[stage]]\nname = \"nap\"\nplugin = \"testkit.nap\"\nus = 2000\n", header) +
                "fields = [\"id\", \"busy\"]\n");
    REQUIRE(w.run("run p.toml --threads 16 --stats stats.json").exit_code == 0);
    int64_t most = 0;
    size_t n = 0;
    for (const std::string& line : lines_of(read_file(w.dir() / "out.jsonl"))) {
      most = std::max<int64_t>(most, nlohmann::json::parse(line).at("busy").get<int64_t>());
      ++n;
    }
    INFO("header '" << header << "'");
    CHECK(n == 1600);
    CHECK(most >= 12);
    CHECK(most <= 16);
    auto s = w.stats();
    CHECK(s["max_in_flight"].get<int>() == (header.empty() ? 16 * 64 : 256));
    CHECK(s["peak_live_records"].get<int>() <= s["max_in_flight"].get<int>());
  }
}

TEST_CASE("--shard I/N: the shards of a run are disjoint, keep source order and cover every record") {
  Workspace w;
  w.write("p.toml", counted(1000, "[[stage]]\nname = \"work\"\nplugin = \"testkit.work\"\nscale = 2\n") +
                        "fields = [\"id\", \"n\"]\n");
  std::vector<int> seen(1000, 0);
  for (int shard = 0; shard < 3; ++shard) {
    INFO("shard " << shard << "/3");
    REQUIRE(w.run("run p.toml --threads 2 --shard " + std::to_string(shard) + "/3 --stats stats.json")
                .exit_code == 0);
    int64_t last = -1;
    size_t lines = 0;
    // Each shard writes its own file, the shard in its name.
    CHECK_FALSE(std::filesystem::exists(w.dir() / "out.jsonl"));
    const std::string name = "out.shard-" + std::to_string(shard) + "-of-3.jsonl";
    for (const std::string& line : lines_of(read_file(w.dir() / name))) {
      const int64_t n = nlohmann::json::parse(line).at("n").get<int64_t>();
      CHECK(n % 3 == shard);
      CHECK(n > last);
      last = n;
      ++seen[static_cast<size_t>(n)];
      ++lines;
    }
    CHECK(lines == static_cast<size_t>((1000 - shard + 2) / 3));
    auto s = w.stats();
    CHECK(s["shard"] == std::to_string(shard) + "/3");
    CHECK(stage(s, "gen")["out"] == lines);
    CHECK(stage(s, "write")["out"] == lines);
  }
  CHECK(std::count(seen.begin(), seen.end(), 1) == 1000);
}

TEST_CASE("--trace writes one Chrome trace event per stage call, adding up to the stage's records") {
  Workspace w;
  w.write("p.toml", counted(5000, "[[stage]]\nname = \"work\"\nplugin = \"testkit.work\"\nscale = 2\n"));
  REQUIRE(w.run("run p.toml --threads 2 --trace trace.json --stats stats.json").exit_code == 0);
  const nlohmann::json t = nlohmann::json::parse(read_file(w.dir() / "trace.json"));
  CHECK(t["otherData"]["pipeline"] == "t");
  std::map<std::string, int64_t> records, calls;
  std::set<int64_t> named_threads;
  for (const auto& e : t["traceEvents"]) {
    if (e["ph"] == "M") {
      CHECK(e["name"] == "thread_name");
      named_threads.insert(e["tid"].get<int64_t>());
      continue;
    }
    REQUIRE(e["ph"] == "X");
    CHECK(e["ts"].get<double>() >= 0);
    CHECK(e["dur"].get<double>() >= 0);
    CHECK(named_threads.count(e["tid"].get<int64_t>()) == 1);  // each thread is named before its events
    records[e["name"].get<std::string>()] += e["args"]["records"].get<int64_t>();
    ++calls[e["name"].get<std::string>()];
  }
  auto s = w.stats();
  CHECK(records["gen"] == 5000);
  CHECK(records["work"] == 5000);
  CHECK(records["write"] == 5000);
  for (const char* name : {"gen", "work", "write"}) {
    INFO("stage " << name);
    CHECK(calls[name] == stage(s, name)["calls"].get<int64_t>());
  }
  CHECK(named_threads.size() <= 3);  // two workers, and at most the thread outside the arena
}

TEST_CASE("--trace into a folder that does not exist stops the run before it starts") {
  Workspace w;
  w.write("p.toml", counted(10, ""));
  Result r = w.run("run p.toml --threads 2 --trace no/such/folder/trace.json");
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("cannot write the trace 'no/such/folder/trace.json'") &&
                        Catch::Contains("check that its folder exists"));
  CHECK_FALSE(fs::exists(w.dir() / "out.jsonl"));
}

TEST_CASE("on_error = fail stops the run, names stage and record, and leaves no output") {
  Workspace w;
  w.write("p.toml", counted(1000, "[[stage]]\nname = \"boom\"\nplugin = \"testkit.fail\"\nevery = 100\n"));
  Result r = w.run("run p.toml --threads 2");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("error: stage 'boom' (testkit.fail) record 'r99': n = 99 is unlucky"));
  CHECK_FALSE(fs::exists(w.dir() / "out.jsonl"));
  for (const auto& e : fs::directory_iterator(w.dir()))
    CHECK(e.path().filename().string().find("out.jsonl") == std::string::npos);
}

TEST_CASE("a non-std exception from a plugin fails the record, not the process") {
  Workspace w;
  w.write("p.toml",
          counted(50, "[[stage]]\nname = \"boom\"\nplugin = \"testkit.fail\"\nevery = 7\nnon_std = true\n"));
  Result r = w.run("run p.toml --threads 2");
  CHECK(r.exit_code == 1);
  CHECK_THAT(
      r.err,
      Catch::Contains(
          "error: stage 'boom' (testkit.fail) record 'r6': an exception not derived from std::exception"));
}

TEST_CASE("on_error = skip logs the bad records and accounts for every record") {
  Workspace w;
  w.write("p.toml", counted(1000, "[[stage]]\nname = \"boom\"\nplugin = \"testkit.fail\"\nevery = 100\n",
                            "on_error = \"skip\"\nerror_log = \"errors.jsonl\"\n"));
  Result r = w.run("run p.toml --threads 2 --stats stats.json");
  REQUIRE(r.exit_code == 0);
  CHECK(lines_of(read_file(w.dir() / "out.jsonl")).size() == 990);
  std::vector<std::string> errors = lines_of(read_file(w.dir() / "errors.jsonl"));
  REQUIRE(errors.size() == 10);
  for (size_t i = 0; i < errors.size(); ++i) {
    auto j = nlohmann::json::parse(errors[i]);
    CHECK(j["stage"] == "boom");
    CHECK(j["record"] == "r" + std::to_string(i * 100 + 99));
  }
  auto s = w.stats();
  uint64_t read = stage(s, "gen")["out"], written = stage(s, "write")["out"],
           skipped = stage(s, "boom")["skipped"];
  CHECK(read == 1000);
  CHECK(skipped == 10);
  CHECK(read == written + skipped);
}

TEST_CASE("filtered records are counted, not lost") {
  Workspace w;
  w.write("p.toml", counted(1000, "[[stage]]\nname = \"keep\"\nplugin = \"testkit.filter\"\nevery = 10\n") +
                        "fields = [\"id\", \"n\"]\n");
  REQUIRE(w.run("run p.toml --threads 2 --stats stats.json").exit_code == 0);
  auto s = w.stats();
  CHECK(stage(s, "keep")["filtered"] == 100);
  CHECK(stage(s, "write")["out"] == 900);
  std::vector<std::string> lines = lines_of(read_file(w.dir() / "out.jsonl"));
  REQUIRE(lines.size() == 900);
  CHECK(nlohmann::json::parse(lines[0])["n"] == 1);
  CHECK(nlohmann::json::parse(lines[9])["n"] == 11);
}

TEST_CASE("a splitting stage emits records in input order") {
  Workspace w;
  w.write("p.toml", counted(100, "[[stage]]\nname = \"split\"\nplugin = \"testkit.split\"\ncopies = 3\n") +
                        "fields = [\"id\", \"part\"]\n");
  REQUIRE(w.run("run p.toml --threads 2 --stats stats.json").exit_code == 0);
  std::vector<std::string> lines = lines_of(read_file(w.dir() / "out.jsonl"));
  REQUIRE(lines.size() == 300);
  for (size_t i = 0; i < lines.size(); ++i) {
    auto j = nlohmann::json::parse(lines[i]);
    CHECK(j["id"] == "r" + std::to_string(i / 3));
    CHECK(j["part"] == i % 3);
  }
  CHECK(stage(w.stats(), "split")["out"] == 300);
}

TEST_CASE("batches respect the size and flush at the end of the stream") {
  Workspace w;
  w.write("p.toml", counted(1000,
                            "[[stage]]\nname = \"probe\"\nplugin = \"testkit.batch_probe\"\n"
                            "batch = { size = 24 }\n") +
                        "fields = [\"id\", \"batch_size\"]\n");
  REQUIRE(w.run("run p.toml --threads 2").exit_code == 0);
  std::vector<std::string> lines = lines_of(read_file(w.dir() / "out.jsonl"));
  REQUIRE(lines.size() == 1000);
  int full = 0;
  for (const std::string& l : lines) {
    int b = nlohmann::json::parse(l)["batch_size"];
    CHECK(b >= 1);
    CHECK(b <= 24);
    full += b == 24;
  }
  // Groups of whole chunks hold up to max_in_flight / 2 records (128 here); only the last batch of each
  // group may be short: 7 groups of 128 give 5 full batches each, the last 104 records give 4.
  CHECK(full == 7 * 5 * 24 + 4 * 24);
}

TEST_CASE("fan-out to two branches and fan-in merges their fields per record") {
  Workspace w;
  w.write("p.toml", R"([pipeline]
name = "dag"
[[stage]]
name = "gen"
plugin = "testkit.count"
count = 500
[[stage]]
name = "a"
plugin = "testkit.work"
scale = 1
output = "ha"
[[stage]]
name = "b"
plugin = "testkit.work"
after = ["gen"]
scale = 2
output = "hb"
[[stage]]
name = "write"
plugin = "io.jsonl_write"
after = ["a", "b"]
path = "out.jsonl"
fields = ["id", "ha", "hb"]
[[stage]]
name = "raw"
plugin = "io.jsonl_write"
after = ["gen"]
path = "raw.jsonl"
fields = ["id", "n"]
)");
  Result r = w.run("run p.toml --threads 2 --stats stats.json");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  std::vector<std::string> lines = lines_of(read_file(w.dir() / "out.jsonl"));
  REQUIRE(lines.size() == 500);
  for (const std::string& l : lines) {
    auto j = nlohmann::json::parse(l);
    CHECK(j.contains("ha"));
    CHECK(j.contains("hb"));
  }
  CHECK(lines_of(read_file(w.dir() / "raw.jsonl")).size() == 500);
}

TEST_CASE("a stage whose constructor fails stops the run before any record moves") {
  Workspace w;
  w.write("p.toml", counted(10, "[[stage]]\nname = \"bad\"\nplugin = \"testkit.bad_create\"\n"));
  Result r = w.run("run p.toml");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("stage 'bad' (testkit.bad_create): cannot open the frobnicator"));
  CHECK_FALSE(fs::exists(w.dir() / "out.jsonl"));
}
