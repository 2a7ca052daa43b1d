// Stress: the engine under random per-record sleeps, failures and drops (testkit.chaos), in a chain and
// in a DAG (fan-out to a join of two branches, one of which fails records, and a second sink), at 1 to
// 32 threads and max_in_flight 1 to 4, under both error policies.
// Asserted: every record ends in exactly one place (written, or skipped with an error-log entry, or
// filtered) and the written ids are exactly those the draws let through, computed here from
// testkit's documented draw function; under "fail" the run stops with exit 1 and leaves no output.
// A watchdog (coreutils `timeout`, 300 s, far above the second or so a run takes) turns a deadlock into
// a failed check; nothing here asserts how long a run takes.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <nlohmann/json.hpp>
#include "support/test_files.hpp"

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

namespace fs = std::filesystem;
using seqflow::test::lines_of;
using seqflow::test::read_file;

namespace {

constexpr int kRecords = 600;
constexpr int kFailPerMille = 30, kDropPerMille = 40;

// testkit.cpp's chaos_draw, restated: the test must not trust the component to say what it did.
uint64_t draw(int64_t seed, int64_t n) {
  uint64_t x = static_cast<uint64_t>(n) * 0x9E3779B97F4A7C15ull;
  x ^= static_cast<uint64_t>(seed) * 0xBF58476D1CE4E5B9ull;
  x ^= x >> 31;
  x *= 0x94D049BB133111EBull;
  return x ^ (x >> 29);
}
bool fails(int64_t seed, int64_t n) { return static_cast<int>(draw(seed, n) % 1000) < kFailPerMille; }
bool drops(int64_t seed, int64_t n) {
  return !fails(seed, n) && static_cast<int>(draw(seed, n) % 1000) < kFailPerMille + kDropPerMille;
}

std::string chaos(const std::string& name, int seed, const std::string& after) {
  return "[[stage]]\nname = \"" + name + "\"\nplugin = \"testkit.chaos\"\n" + after + "seed = " +
         std::to_string(seed) + "\nmax_us = 300\nfail_per_mille = " + std::to_string(kFailPerMille) +
         "\ndrop_per_mille = " + std::to_string(kDropPerMille) + "\n";
}

struct Run {
  int exit_code = -1;
  bool killed_by_watchdog = false;
  std::string err;
};

Run run(const fs::path& dir, const std::string& pipeline, int threads) {
  std::ofstream(dir / "p.toml") << pipeline;
  const std::string cmd = "cd '" + dir.string() + "' && SEQFLOW_PLUGIN_PATH='" SEQFLOW_BINARY_DIR
                          "/test_plugins' timeout -s KILL 300 '" SEQFLOW_BIN "' run p.toml --no-progress "
                          "--stats stats.json --threads " + std::to_string(threads) + " 2> stderr.txt";
  const int status = std::system(cmd.c_str());
  Run r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.killed_by_watchdog = r.exit_code == 137;
  r.err = read_file(dir / "stderr.txt");
  return r;
}

uint64_t stat(const nlohmann::json& stats, const std::string& name, const char* key) {
  for (const auto& s : stats["stages"])
    if (s["name"] == name) return s[key].get<uint64_t>();
  FAIL("no stage " << name << " in the stats");
  return 0;
}

std::set<std::string> ids_in(const fs::path& file, const char* key) {
  std::set<std::string> ids;
  for (const std::string& line : lines_of(read_file(file))) ids.insert(nlohmann::json::parse(line)[key]);
  return ids;
}

class Dir {
 public:
  Dir() : path_(fs::temp_directory_path() / ("seqflow_stress_" + std::to_string(::getpid()))) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~Dir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

}  // namespace

TEST_CASE("random sleeps, failures and drops: every record accounted for at 1 to 32 threads") {
  struct Config {
    int threads, max_in_flight;
    bool dag;
  };
  const Config configs[] = {{1, 1, false}, {2, 1, true},   {3, 2, false},  {5, 4, true},
                            {8, 1, false}, {16, 3, true}, {32, 2, false}, {32, 1, true}};
  for (const Config& c : configs) {
    DYNAMIC_SECTION("threads " << c.threads << ", max_in_flight " << c.max_in_flight
                               << (c.dag ? ", fan-out/fan-in" : ", chain")) {
      Dir dir;
      const std::string head = "[pipeline]\nname = \"stress\"\non_error = \"skip\"\n"
                               "error_log = \"errors.jsonl\"\nmax_in_flight = " +
                               std::to_string(c.max_in_flight) +
                               "\n[[stage]]\nname = \"gen\"\nplugin = \"testkit.count\"\ncount = " +
                               std::to_string(kRecords) + "\n";
      const std::string write =
          "[[stage]]\nname = \"write\"\nplugin = \"io.jsonl_write\"\npath = \"out.jsonl\"\n";
      // The DAG forks after `a` (the engine refuses filters between a fork and its join): branch b
      // computes, branch c fails every 37th record, the join writes both; `raw` is a second sink.
      std::string pipeline = head + chaos("a", 11, "");
      if (c.dag)
        pipeline += "[[stage]]\nname = \"b\"\nplugin = \"testkit.work\"\nafter = [\"a\"]\nscale = 3\n"
                    "[[stage]]\nname = \"c\"\nplugin = \"testkit.fail\"\nafter = [\"a\"]\nevery = 37\n" +
                    write + "after = [\"b\", \"c\"]\nfields = [\"id\", \"n\", \"h\"]\n" +
                    "[[stage]]\nname = \"raw\"\nplugin = \"io.jsonl_write\"\nafter = [\"a\"]\n"
                    "path = \"raw.jsonl\"\nfields = [\"id\"]\n";
      else pipeline += write + "fields = [\"id\", \"n\"]\n";
      Run r = run(dir.path(), pipeline, c.threads);
      INFO(r.err);
      REQUIRE_FALSE(r.killed_by_watchdog);
      REQUIRE(r.exit_code == 0);

      std::set<std::string> expected_out, expected_failed, passed_a;
      uint64_t dropped = 0, failed_in_c = 0;
      for (int n = 0; n < kRecords; ++n) {
        const std::string id = "r" + std::to_string(n);
        if (fails(11, n)) {
          expected_failed.insert(id);
          continue;
        }
        if (drops(11, n)) {
          ++dropped;
          continue;
        }
        passed_a.insert(id);
        if (c.dag && n % 37 == 36) {
          expected_failed.insert(id);
          ++failed_in_c;
          continue;
        }
        expected_out.insert(id);
      }
      REQUIRE(!expected_failed.empty());
      REQUIRE(dropped > 0);
      CHECK(ids_in(dir.path() / "out.jsonl", "id") == expected_out);
      CHECK(ids_in(dir.path() / "errors.jsonl", "record") == expected_failed);
      if (c.dag) CHECK(ids_in(dir.path() / "raw.jsonl", "id") == passed_a);

      const nlohmann::json stats = nlohmann::json::parse(read_file(dir.path() / "stats.json"));
      const uint64_t read = stat(stats, "gen", "out"), written = stat(stats, "write", "out");
      uint64_t lost = stat(stats, "a", "skipped") + stat(stats, "a", "filtered");
      if (c.dag) {
        CHECK(stat(stats, "c", "skipped") == failed_in_c);
        lost += stat(stats, "c", "skipped");
        CHECK(stat(stats, "raw", "out") == passed_a.size());
      }
      CHECK(read == kRecords);
      CHECK(written == expected_out.size());
      CHECK(read == written + lost);
    }
  }
}

TEST_CASE("random failures under on_error = fail: exit 1, the failing record named, no output left") {
  for (int threads : {1, 4, 32}) {
    DYNAMIC_SECTION("threads " << threads) {
      Dir dir;
      const std::string pipeline = "[pipeline]\nname = \"stress\"\nmax_in_flight = 2\n"
                                   "[[stage]]\nname = \"gen\"\nplugin = \"testkit.count\"\ncount = " +
                                   std::to_string(kRecords) + "\n" + chaos("a", 11, "") +
                                   "[[stage]]\nname = \"write\"\nplugin = \"io.jsonl_write\"\n"
                                   "path = \"out.jsonl\"\n";
      Run r = run(dir.path(), pipeline, threads);
      INFO(r.err);
      REQUIRE_FALSE(r.killed_by_watchdog);
      CHECK(r.exit_code == 1);
      CHECK_THAT(r.err, Catch::Contains("stage 'a' (testkit.chaos)") && Catch::Contains("drew a failure"));
      CHECK_FALSE(fs::exists(dir.path() / "out.jsonl"));
    }
  }
}
