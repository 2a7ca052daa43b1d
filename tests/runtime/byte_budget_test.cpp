// [pipeline] max_in_flight_bytes (engine/src/byte_budget.cpp): on 2-megabase records the payload alive at
// once stays within the budget plus the few chunks that always circulate, where without it every record
// is in flight; the output is the same bytes either way, and two batching stages under a tight budget
// still finish (the batchers flush early rather than wait for credits that are withheld).
#include <catch2/catch.hpp>

#include "support/test_files.hpp"

#include <nlohmann/json.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

namespace fs = std::filesystem;
using seqflow::test::read_file;

namespace {

constexpr int kRecords = 30;
constexpr size_t kBases = 2'000'000;

struct Dir {
  fs::path path = fs::temp_directory_path() / ("seqflow_budget_" + std::to_string(::getpid()));
  Dir() {
    fs::remove_all(path);
    fs::create_directories(path);
    std::ofstream fa(path / "genomes.fa");
    std::mt19937 rng(3);
    std::string seq(kBases, 'A');
    for (int i = 0; i < kRecords; ++i) {
      for (char& c : seq) c = "ACGT"[rng() % 4];
      fa << ">g" << i << "\n" << seq << "\n";
    }
  }
  ~Dir() { fs::remove_all(path); }
  nlohmann::json run(const std::string& budget, const std::string& middle, const std::string& out) const {
    std::ofstream(path / "p.toml") << "[pipeline]\nname = \"budget\"\nmax_in_flight_bytes = " << budget
                                   << "\n[[stage]]\nname = \"read\"\nplugin = \"dna.fasta_read\"\n"
                                      "paths = [\"genomes.fa\"]\n"
                                   << middle
                                   << "[[stage]]\nname = \"write\"\nplugin = \"dna.fasta_write\"\npath = \""
                                   << out << "\"\n";
    const std::string cmd = "cd '" + path.string() +
                            "' && SEQFLOW_PLUGIN_PATH='" SEQFLOW_BINARY_DIR
                            "/test_plugins' timeout 120 " SEQFLOW_BIN
                            " run p.toml --threads 2 --no-progress --stats stats.json 2> err.txt";
    const int rc = std::system(cmd.c_str());
    INFO(read_file(path / "err.txt"));
    REQUIRE((WIFEXITED(rc) && WEXITSTATUS(rc) == 0));
    return nlohmann::json::parse(read_file(path / "stats.json"));
  }
};

}  // namespace

TEST_CASE("max_in_flight_bytes bounds the payload alive on long records", "[runtime][budget]") {
  Dir d;
  const nlohmann::json free = d.run("0", "[[stage]]\nname = \"rc\"\nplugin = \"dna.revcomp\"\n", "free.fa");
  const nlohmann::json bound =
      d.run("\"6M\"", "[[stage]]\nname = \"rc\"\nplugin = \"dna.revcomp\"\n", "bound.fa");
  CHECK(read_file(d.path / "free.fa") == read_file(d.path / "bound.fa"));
  CHECK(free["peak_live_records"].get<int>() >= 20);  // the record bound alone lets (nearly) all in
  const uint64_t budget = 6u << 20;
  CHECK(bound["max_in_flight_bytes"] == budget);
  INFO("peak " << bound["peak_live_bytes"] << " bytes, " << bound["peak_live_records"] << " records");
  // The budget plus two circulating chunks of one record each.
  CHECK(bound["peak_live_bytes"].get<uint64_t>() <= budget + 2 * kBases);
  CHECK(bound["peak_live_records"].get<int>() <= 5);
}

TEST_CASE("two batching stages under a tight byte budget finish with the same output", "[runtime][budget]") {
  Dir d;
  const std::string middle =
      "[[stage]]\nname = \"p1\"\nplugin = \"testkit.batch_probe\"\nbatch = { size = 16 }\n"
      "[[stage]]\nname = \"rc\"\nplugin = \"dna.revcomp\"\n"
      "[[stage]]\nname = \"p2\"\nplugin = \"testkit.batch_probe\"\nbatch = { size = 8 }\n";
  d.run("0", middle, "free.fa");
  const nlohmann::json bound = d.run("\"4M\"", middle, "bound.fa");
  CHECK(read_file(d.path / "free.fa") == read_file(d.path / "bound.fa"));
  CHECK(bound["peak_live_records"].get<int>() < kRecords);
}
