// contrib/snakemake/Snakefile on Snakemake's local executor with --cores 2: three shards by bytes and the
// merge give the single run's bytes. Snakemake is found as $SEQFLOW_SNAKEMAKE, on PATH, or in
// contrib/snakemake/.venv (made by contrib/snakemake/setup_venv.sh); the test skips with a message
// when there is none.
#include <catch2/catch.hpp>

#include "support/test_files.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using seqflow::test::read_file;

namespace {

std::string find_snakemake() {
  if (const char* env = std::getenv("SEQFLOW_SNAKEMAKE")) return env;
  const fs::path venv = fs::path(SEQFLOW_SOURCE_DIR) / "contrib/snakemake/.venv/bin/snakemake";
  if (fs::exists(venv)) return venv.string();
  if (std::system("command -v snakemake > /dev/null 2>&1") == 0) return "snakemake";
  return "";
}

int sh(const std::string& cmd) {
  const int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

}  // namespace

TEST_CASE("the Snakemake workflow fans out over shards and merges to the single run", "[snakemake]") {
  const std::string snakemake = find_snakemake();
  if (snakemake.empty()) {
    WARN(
        "snakemake not found (set SEQFLOW_SNAKEMAKE, put it on PATH, or run "
        "contrib/snakemake/setup_venv.sh): "
        "skipping the workflow test");
    return;
  }
  const fs::path dir = fs::temp_directory_path() / ("seqflow_smk_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  {
    std::ofstream fq(dir / "reads.fq");
    for (int i = 0; i < 3000; ++i)
      fq << "@r" << i << "\n"
         << std::string(20 + i % 50, "ACGT"[i % 4]) << "\n+\n"
         << std::string(20 + i % 50, i % 3 ? 'I' : '@') << "\n";
  }
  std::ofstream(dir / "p.toml")
      << "[pipeline]\nname = \"smk\"\n[[stage]]\nname = \"read\"\nplugin = \"dna.fastq_read\"\n"
         "paths = [\"reads.fq\"]\n[[stage]]\nname = \"rc\"\nplugin = \"dna.revcomp\"\n"
         "[[stage]]\nname = \"write\"\nplugin = \"dna.fastq_write\"\npath = \"out/rc.fq.gz\"\n";
  const std::string seqflow = SEQFLOW_BIN;
  REQUIRE(sh("cd '" + dir.string() + "' && " + seqflow + " run p.toml --no-progress 2>/dev/null") == 0);
  fs::rename(dir / "out/rc.fq.gz", dir / "single.fq.gz");
  const std::string cmd = "cd '" + dir.string() + "' && '" + snakemake +
                          "' -s '" SEQFLOW_SOURCE_DIR
                          "/contrib/snakemake/Snakefile' --cores 2 --quiet --config pipeline=p.toml shards=3 "
                          "shard_by=bytes seqflow=" +
                          seqflow + " 'outputs=[\"out/rc.fq.gz\"]' > smk.log 2>&1";
  const int rc = sh(cmd);
  INFO(read_file(dir / "smk.log"));
  REQUIRE(rc == 0);
  CHECK(fs::exists(dir / "out/rc.shard-2-of-3.fq.gz"));
  CHECK(read_file(dir / "out/rc.fq.gz") == read_file(dir / "single.fq.gz"));
  fs::remove_all(dir);
}
