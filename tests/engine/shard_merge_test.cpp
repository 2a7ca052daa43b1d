// --shard I/N by record, file and bytes, then `seqflow merge`, against a single run of the same pipeline:
// the merged output must be the single run's bytes, for N = 1, 2, 3, 7, over the shared real FASTQ.gz
// files (plain gzip: record and file; bytes is refused), BGZF copies of them and a JSONL made from them.
// Outputs: BGZF FASTQ (dna's writer), gzip JSONL and TSV with a header (io's writers). Skips when the
// shared data is absent.
#include <catch2/catch.hpp>

#include "support/test_files.hpp"

#include <nlohmann/json.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using seqflow::test::read_file;

namespace {

const fs::path kData = fs::path(SEQFLOW_SHARED_DATA) / "dna";

struct Dir {
  fs::path path = fs::temp_directory_path() / ("seqflow_shard_" + std::to_string(::getpid()));
  Dir() {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~Dir() { fs::remove_all(path); }
};

int sh(const std::string& cmd) {
  const int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

std::string cli(const fs::path& dir, const std::string& args) {
  return "cd '" + dir.string() + "' && " + SEQFLOW_BIN + " " + args +
         (args.starts_with("run") ? " --no-progress" : "") + " 2>> log.txt >/dev/null";
}

// A pipeline reading `reader` over `paths` into the given writers.
std::string pipeline(const std::string& reader, const std::string& paths, const std::string& writers) {
  return "[pipeline]\nname = \"shards\"\n[[stage]]\nname = \"read\"\nplugin = \"" + reader +
         "\"\npaths = " + paths + "\n" + writers;
}

const char* kFastqWriters =
    "[[stage]]\nname = \"fq\"\nplugin = \"dna.fastq_write\"\npath = \"out/reads.fq.gz\"\n"
    "[[stage]]\nname = \"js\"\nplugin = \"io.jsonl_write\"\npath = \"out/reads.jsonl.gz\"\n"
    "fields = [\"id\", \"seq\"]\nafter = [\"read\"]\n"
    "[[stage]]\nname = \"tsv\"\nplugin = \"io.tsv_write\"\npath = \"out/reads.tsv\"\n"
    "fields = [\"id\", \"qual\"]\nafter = [\"read\"]\n";

const std::vector<std::string> kOutputs = {"out/reads.fq.gz", "out/reads.jsonl.gz", "out/reads.tsv"};

void check_methods(const fs::path& dir, const std::vector<std::string>& methods) {
  REQUIRE(sh(cli(dir, "run p.toml --threads 2")) == 0);
  for (const std::string& o : kOutputs) fs::rename(dir / o, dir / (o + ".single"));
  for (const std::string& by : methods) {
    for (int n : {1, 2, 3, 7}) {
      INFO("--shard-by " << by << ", N = " << n << "\n" << read_file(dir / "log.txt"));
      for (int i = 0; i < n; ++i)
        REQUIRE(sh(cli(dir, "run p.toml --threads 2 --shard " + std::to_string(i) + "/" + std::to_string(n) +
                                " --shard-by " + by)) == 0);
      for (const std::string& o : kOutputs) {
        INFO(o);
        if (n > 1) {
          CHECK_FALSE(fs::exists(dir / o));  // every shard wrote its own names
          REQUIRE(sh(cli(dir, "merge " + o)) == 0);
        }
        CHECK(read_file(dir / o) == read_file(dir / (o + ".single")));
        fs::remove(dir / o);
      }
      for (const auto& e : fs::directory_iterator(dir / "out"))
        if (e.path().filename().string().find(".shard-") != std::string::npos) fs::remove(e.path());
    }
  }
}

bool have_data() {
  if (fs::exists(kData / "ERR127302_1_subset.fastq.gz")) return true;
  WARN("shared data not found at " << kData << ": skipping the shard tests on real reads");
  return false;
}

}  // namespace

TEST_CASE("shards of the shared FASTQ.gz files merge to the single run (record, file)", "[shard][shared]") {
  if (!have_data()) return;
  Dir d;
  const std::string files = "[\"" + (kData / "ERR127302_1_subset.fastq.gz").string() + "\", \"" +
                            (kData / "ecoli_1K_1.fq.gz").string() + "\", \"" +
                            (kData / "ecoli_1K_2.fq.gz").string() + "\"]";
  std::ofstream(d.path / "p.toml") << pipeline("dna.fastq_read", files, kFastqWriters);
  check_methods(d.path, {"record", "file"});
  // Plain gzip cannot be entered in the middle: bytes is refused before anything runs.
  CHECK(sh(cli(d.path, "validate p.toml --shard 1/3 --shard-by bytes")) == 2);
  CHECK(read_file(d.path / "log.txt").find("is gzip but not BGZF") != std::string::npos);
}

TEST_CASE("shards of BGZF copies merge to the single run (record, file, bytes)", "[shard][shared]") {
  if (!have_data()) return;
  Dir d;
  // BGZF made from the shared reads by dna.fastq_write (a .gz path writes BGZF).
  for (const char* name : {"ERR127302_1_subset.fastq.gz", "ecoli_1K_1.fq.gz", "ecoli_1K_2.fq.gz"}) {
    std::ofstream(d.path / "copy.toml") << pipeline(
        "dna.fastq_read", "[\"" + (kData / name).string() + "\"]",
        std::string("[[stage]]\nname = \"w\"\nplugin = \"dna.fastq_write\"\npath = \"bgzf/") + name + "\"\n");
    REQUIRE(sh(cli(d.path, "run copy.toml")) == 0);
    fs::remove(d.path / "bgzf" / (std::string(name) + ".provenance.json"));
  }
  std::ofstream(d.path / "p.toml") << pipeline("dna.fastq_read", "[\"bgzf/*.gz\"]", kFastqWriters);
  check_methods(d.path, {"record", "file", "bytes"});
}

TEST_CASE("shards of a JSONL file merge to the single run (record, file, bytes)", "[shard][shared]") {
  if (!have_data()) return;
  Dir d;
  std::ofstream(d.path / "tojsonl.toml")
      << pipeline("dna.fastq_read", "[\"" + (kData / "ERR127302_1_subset.fastq.gz").string() + "\"]",
                  "[[stage]]\nname = \"w\"\nplugin = \"io.jsonl_write\"\npath = \"reads.jsonl\"\n"
                  "fields = [\"id\", \"seq\", \"qual\"]\n");
  REQUIRE(sh(cli(d.path, "run tojsonl.toml")) == 0);
  std::ofstream(d.path / "p.toml") << "[pipeline]\nname = \"jsonl\"\n[[stage]]\nname = \"read\"\n"
                                      "plugin = \"io.jsonl_read\"\npaths = [\"reads.jsonl\"]\n"
                                      "fields = { seq = \"string\", qual = \"string\" }\n" +
                                          std::string(kFastqWriters);
  check_methods(d.path, {"record", "file", "bytes"});
}

TEST_CASE("merge refuses what would not be a single run's output", "[shard]") {
  Dir d;
  std::ofstream(d.path / "in.fq") << "@a\nACGT\n+\nIIII\n@b\nAC\n+\nII\n@c\nACGTAC\n+\nIIIIII\n@d\nA\n+\nI\n";
  std::ofstream(d.path / "p.toml")
      << "[pipeline]\nname = \"filtered\"\n[[stage]]\nname = \"read\"\nplugin = \"dna.fastq_read\"\n"
         "paths = [\"in.fq\"]\n[[stage]]\nname = \"keep\"\nplugin = \"dna.filter\"\nmin_length = 3\n"
         "[[stage]]\nname = \"w\"\nplugin = \"dna.fastq_write\"\npath = \"o.fq\"\n";
  for (int i = 0; i < 2; ++i) REQUIRE(sh(cli(d.path, "run p.toml --shard " + std::to_string(i) + "/2")) == 0);
  // By record, a filter makes the interleaving ambiguous: refused.
  CHECK(sh(cli(d.path, "merge o.fq")) == 2);
  CHECK(read_file(d.path / "log.txt").find("interleave back into one run only when every record") !=
        std::string::npos);
  CHECK_FALSE(fs::exists(d.path / "o.fq"));
  // The same shards split by bytes concatenate; the filter no longer matters.
  for (int i = 0; i < 2; ++i)
    REQUIRE(sh(cli(d.path, "run p.toml --shard-by bytes --shard " + std::to_string(i) + "/2")) == 0);
  CHECK(sh(cli(d.path, "merge o.fq")) == 0);
  CHECK(read_file(d.path / "o.fq") == "@a\nACGT\n+\nIIII\n@c\nACGTAC\n+\nIIIIII\n");
  // A missing shard is named.
  fs::remove(d.path / "o.shard-1-of-2.fq");
  CHECK(sh(cli(d.path, "merge o.fq")) == 2);
  CHECK(read_file(d.path / "log.txt").find("shard 1 of 2 of 'o.fq' is missing") != std::string::npos);
}

TEST_CASE("error logs and stats of file shards merge to the single run's", "[shard]") {
  Dir d;
  // Two files, each with a record whose quality is too short (skipped under on_error = "skip").
  std::ofstream(d.path / "a.fq") << "@a1\nACGT\n+\nIIII\n@a2\nACGT\n+\nII\n@a3\nAC\n+\nII\n";
  std::ofstream(d.path / "b.fq") << "@b1\nAC\n+\nI\n@b2\nACG\n+\nIII\n";
  std::ofstream(d.path / "p.toml")
      << "[pipeline]\nname = \"skips\"\non_error = \"skip\"\nerror_log = \"errors.jsonl\"\n[[stage]]\n"
         "name = \"read\"\nplugin = \"dna.fastq_read\"\npaths = [\"a.fq\", \"b.fq\"]\n[[stage]]\nname = "
         "\"w\"\n"
         "plugin = \"dna.fastq_write\"\npath = \"o.fq\"\n";
  REQUIRE(sh(cli(d.path, "run p.toml --stats single.json")) == 0);
  const std::string single_log = read_file(d.path / "errors.jsonl");
  REQUIRE(seqflow::test::lines_of(single_log).size() == 2);
  fs::rename(d.path / "o.fq", d.path / "single.fq");
  fs::remove(d.path / "errors.jsonl");
  for (int i = 0; i < 2; ++i)
    REQUIRE(sh(cli(d.path, "run p.toml --shard-by file --shard " + std::to_string(i) + "/2 --stats s" +
                               std::to_string(i) + ".json")) == 0);
  REQUIRE(sh(cli(d.path, "merge o.fq")) == 0);
  REQUIRE(sh(cli(d.path, "merge errors.jsonl")) == 0);
  REQUIRE(sh(cli(d.path, "merge stats.json s0.json s1.json")) == 0);
  CHECK(read_file(d.path / "o.fq") == read_file(d.path / "single.fq"));
  CHECK(read_file(d.path / "errors.jsonl") == single_log);
  const auto single = nlohmann::json::parse(read_file(d.path / "single.json"));
  const auto merged = nlohmann::json::parse(read_file(d.path / "stats.json"));
  REQUIRE(merged["stages"].size() == single["stages"].size());
  for (size_t i = 0; i < single["stages"].size(); ++i)
    for (const char* key : {"in", "out", "filtered", "skipped"})
      CHECK(merged["stages"][i][key] == single["stages"][i][key]);
}
