// The provenance record (engine/src/provenance.cpp) checked field by field against what it describes:
// hashes recomputed with coreutils' sha256sum (an independent implementation), sizes and mtimes from
// stat(2), the version from the top-level CMakeLists.txt, plugin versions from `seqflow plugins`, the
// host from gethostname(2), times against the test's own clock, accounting against the files written.
#include <catch2/catch.hpp>

#include <seqflow/plugin_abi.h>

#include "support/test_files.hpp"

#include <nlohmann/json.hpp>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <regex>

namespace fs = std::filesystem;
using nlohmann::json;
using seqflow::test::lines_of;
using seqflow::test::read_file;

namespace {

std::string capture(const std::string& cmd, int* rc = nullptr) {
  std::string out;
  std::FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof(buf), p)) > 0;) out.append(buf, n);
  const int status = ::pclose(p);
  if (rc != nullptr) *rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

std::string sha256sum(const std::string& path) {
  const std::string out = capture("sha256sum '" + path + "'");
  return out.substr(0, out.find(' '));
}

std::string mtime_iso(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  std::tm tm{};
  gmtime_r(&st.st_mtim.tv_sec, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  char ms[16];
  std::snprintf(ms, sizeof(ms), ".%03ldZ", st.st_mtim.tv_nsec / 1000000);
  return std::string(buf) + ms;
}

uint64_t size_of(const std::string& p) { return static_cast<uint64_t>(fs::file_size(p)); }

std::chrono::system_clock::time_point parse_iso(const std::string& s) {
  std::tm tm{};
  REQUIRE(strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm) != nullptr);
  const int ms = std::stoi(s.substr(20, 3));
  return std::chrono::system_clock::from_time_t(timegm(&tm)) + std::chrono::milliseconds(ms);
}

struct Dir {
  fs::path path = fs::temp_directory_path() / ("seqflow_prov_" + std::to_string(::getpid()));
  Dir() {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~Dir() { fs::remove_all(path); }
};

}  // namespace

TEST_CASE("the provenance record describes the run exactly", "[engine][provenance]") {
  Dir d;
  const std::string dir = d.path.string();
  std::ofstream(d.path / "reads.fa") << ">r1\nACGT\n>r2\nGGTA\n>r3\nTTTT\n>r4\nACGN\n>r5\nCA\n";
  std::ofstream(d.path / "vocab.txt") << "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nA\nC\nG\nT\n";
  std::ofstream(d.path / "pipeline.toml")
      << "[pipeline]\nname = \"prov\"\n"
         "[[stage]]\nname = \"read\"\nplugin = \"dna.fasta_read\"\npaths = [\"read*.fa\"]\n"
         "[[stage]]\nname = \"tokens\"\nplugin = \"dna.kmer\"\nk = 6\nvocab = \"vocab.txt\"\n"
         "[[stage]]\nname = \"write\"\nplugin = \"io.jsonl_write\"\npath = \"out/tokens.jsonl\"\n"
         "fields = [\"id\", \"tokens\"]\n";
  const auto before = std::chrono::system_clock::now() - std::chrono::milliseconds(1);
  int rc = -1;
  capture(std::string(SEQFLOW_BIN) + " run '" + dir +
              "/pipeline.toml' --threads 2 --no-progress --shard 1/2 " + "--set tokens.k=1 --stats '" + dir +
              "/stats.json' --provenance '" + dir + "/extra.json' 2> '" + dir + "/err.txt'",
          &rc);
  const auto after = std::chrono::system_clock::now() + std::chrono::milliseconds(1);
  INFO(read_file(d.path / "err.txt"));
  REQUIRE(rc == 0);

  // --shard 1/2 puts the shard in the output's name.
  const std::string beside = dir + "/out/tokens.shard-1-of-2.jsonl.provenance.json";
  REQUIRE(fs::exists(beside));
  const json p = json::parse(read_file(beside));
  // The same record in --stats and at --provenance.
  CHECK(json::parse(read_file(d.path / "stats.json"))["provenance"] == p);
  CHECK(json::parse(read_file(d.path / "extra.json")) == p);

  std::smatch m;
  const std::string cmake = read_file(fs::path(SEQFLOW_SOURCE_DIR) / "CMakeLists.txt");
  REQUIRE(std::regex_search(cmake, m, std::regex(R"(project\(seqflow VERSION ([0-9.]+))")));
  CHECK(p["seqflow_version"] == m[1].str());
  CHECK(p["plugin_abi"] == std::to_string(SF_ABI_MAJOR) + "." + std::to_string(SF_ABI_MINOR));
  CHECK(p["ok"] == true);

  const json& pl = p["pipeline"];
  CHECK(pl["file"] == dir + "/pipeline.toml");
  CHECK(pl["sha256"] == sha256sum(dir + "/pipeline.toml"));
  CHECK(pl["overrides"] ==
        json::array({"tokens.k=1", "write.path=\"" + dir + "/out/tokens.shard-1-of-2.jsonl\""}));
  const json& stages = pl["resolved"]["stages"];
  REQUIRE(stages.size() == 3);
  CHECK(stages[1]["params"]["k"] == 1);  // after --set
  CHECK(stages[1]["params"]["vocab"] == dir + "/vocab.txt");
  CHECK(stages[1]["params"]["stride"] == 1);  // a default, applied
  CHECK(stages[0]["params"]["paths"] == json::array({dir + "/read*.fa"}));

  const std::string listing = capture(std::string(SEQFLOW_BIN) + " plugins 2>/dev/null");
  REQUIRE(p["plugins"].size() == 2);
  for (const json& mod : p["plugins"]) {
    const std::string path = mod["path"];
    CHECK(mod["sha256"] == sha256sum(path));
    // `seqflow plugins` prints "NAME VERSION  PATH" for each module.
    const std::string line =
        mod["module"].get<std::string>() + " " + mod["version"].get<std::string>() + "  ";
    CHECK(listing.find(line) != std::string::npos);
    CHECK(mod["abi"] == std::to_string(SF_ABI_MAJOR) + "." + std::to_string(SF_ABI_MINOR));
  }
  CHECK(p["plugins"][0]["module"] == "dna");
  CHECK(p["plugins"][1]["module"] == "io");

  REQUIRE(p["files"].size() == 1);
  CHECK(p["files"][0]["owner"] == "stage tokens");
  CHECK(p["files"][0]["param"] == "vocab");
  CHECK(p["files"][0]["sha256"] == sha256sum(dir + "/vocab.txt"));
  CHECK(p["files"][0]["size"] == size_of(dir + "/vocab.txt"));

  REQUIRE(p["inputs"].size() == 1);
  const json& in = p["inputs"][0];
  CHECK(in["path"] == dir + "/reads.fa");
  CHECK(in["size"] == size_of(dir + "/reads.fa"));
  CHECK(in["mtime"] == mtime_iso(dir + "/reads.fa"));
  CHECK(in["sha256"] == sha256sum(dir + "/reads.fa"));
  CHECK(p["outputs"] ==
        json::array({{{"stage", "write"}, {"param", "path"}, {"path", dir + "/out/tokens.shard-1-of-2.jsonl"}}}));

  CHECK(p["shard"] == json({{"index", 1}, {"count", 2}, {"by", "record"}}));
  CHECK(p["threads"] == 2);
  char host[256] = {0};
  ::gethostname(host, sizeof(host) - 1);
  CHECK(p["host"] == std::string(host));
  const auto start = parse_iso(p["start"]), end = parse_iso(p["end"]);
  CHECK(before <= start);
  CHECK(start <= end);
  CHECK(end <= after);

  // Shard 1/2 of five records keeps positions 1 and 3: r2 and r4.
  const std::vector<std::string> out = lines_of(read_file(d.path / "out/tokens.shard-1-of-2.jsonl"));
  REQUIRE(out.size() == 2);
  CHECK(out[0].find("\"r2\"") != std::string::npos);
  const json& acc = p["accounting"];
  CHECK(acc["records_read"] == 2);
  CHECK(acc["records_written"] == out.size());
  CHECK(acc["records_skipped"] == 0);
  CHECK(acc["stages"][2]["out"] == out.size());

  // The readable form names every hash.
  const std::string text = capture(std::string(SEQFLOW_BIN) + " provenance '" + beside + "'", &rc);
  CHECK(rc == 0);
  for (const json& mod : p["plugins"])
    CHECK(text.find(mod["sha256"].get<std::string>()) != std::string::npos);
  CHECK(text.find(sha256sum(dir + "/vocab.txt")) != std::string::npos);
  CHECK(text.find("--set tokens.k=1\n") != std::string::npos);
  CHECK(text.find("records: 2 read, 2 written, 0 skipped, 0 filtered") != std::string::npos);
}

TEST_CASE("a failed run leaves no provenance beside its outputs; a bad file is refused",
          "[engine][provenance]") {
  Dir d;
  const std::string dir = d.path.string();
  std::ofstream(d.path / "bad.fa") << "not fasta\n";
  std::ofstream(d.path / "pipeline.toml")
      << "[pipeline]\nname = \"prov-fail\"\n"
         "[[stage]]\nname = \"read\"\nplugin = \"dna.fasta_read\"\npaths = [\"bad.fa\"]\n"
         "[[stage]]\nname = \"write\"\nplugin = \"io.jsonl_write\"\npath = \"o.jsonl\"\n";
  int rc = -1;
  capture(std::string(SEQFLOW_BIN) + " run '" + dir + "/pipeline.toml' --no-progress --stats '" + dir +
              "/stats.json' 2>/dev/null",
          &rc);
  CHECK(rc == 1);
  CHECK_FALSE(fs::exists(d.path / "o.jsonl.provenance.json"));
  const json stats = json::parse(read_file(d.path / "stats.json"));
  CHECK(stats["provenance"]["ok"] == false);

  const std::string err = capture(std::string(SEQFLOW_BIN) + " provenance '" + dir + "/bad.fa' 2>&1", &rc);
  CHECK(rc == 2);
  CHECK(err.find("is not JSON") != std::string::npos);
  std::ofstream(d.path / "other.json") << "{\"a\": 1}";
  CHECK(capture(std::string(SEQFLOW_BIN) + " provenance '" + dir + "/other.json' 2>&1", &rc)
            .find("holds no provenance record") != std::string::npos);
  CHECK(rc == 2);
}
