// The dna module through the seqflow CLI on the real files in ../shared/data/dna: FASTQ to FASTA equal to
// `seqtk seq -A`, byte-identical FASTA/FASTQ round trips, Phred+64, reverse complement, gzip output and
// on_error = "skip" on a damaged copy. seqtk is not needed at run time: its outputs on these files were
// computed once with Debian's seqtk 1.3 and are pinned here as (length, CRC-32). Skips with a warning when
// the shared data is absent.
#include "dna_test_util.hpp"

#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cstdlib>
#include <sstream>

namespace {

struct Cli {
  int exit_code = -1;
  std::string err;
};

Cli run_pipeline(const dna_test::TempDir& dir, const std::string& toml, const std::string& extra = "") {
  dna_test::spit(dir / "pipeline.toml", toml);
  const std::string cmd = std::string(SEQFLOW_BIN) + " run '" + dir / "pipeline.toml" +
                          "' --threads 2 --no-progress " + extra + " > /dev/null 2> '" + dir / "stderr.txt" +
                          "'";
  const int rc = std::system(cmd.c_str());
  Cli c;
  c.exit_code = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  c.err = dna_test::slurp(dir / "stderr.txt");
  return c;
}

std::string stage(const std::string& name, const std::string& plugin, const std::string& body = "") {
  return "[[stage]]\nname = \"" + name + "\"\nplugin = \"" + plugin + "\"\n" + body;
}

// A two-stage pipeline: reader over `input`, writer to `output`, each with extra settings.
std::string convert(const std::string& reader, const std::string& input, const std::string& reader_extra,
                    const std::string& writer, const std::string& output, const std::string& writer_extra) {
  return "[pipeline]\nname = \"convert\"\n\n" +
         stage("read", reader, "paths = [\"" + input + "\"]\n" + reader_extra) + "\n" +
         stage("write", writer, "path = \"" + output + "\"\n" + writer_extra);
}

struct Fingerprint {
  size_t length;
  uint32_t crc;
};

void check_output(const std::string& path, Fingerprint expected) {
  const std::string data = dna_test::slurp(path);
  INFO(path);
  CHECK(data.size() == expected.length);
  CHECK(dna_test::crc32_of(data) == expected.crc);
}

}  // namespace

TEST_CASE("CLI: FASTQ to FASTA equals seqtk seq -A on real reads", "[dna][cli][shared]") {
  DNA_REQUIRE_SHARED_DATA(data);
  struct Case {
    const char* file;
    Fingerprint seqtk;  // `seqtk seq -A FILE | wc -c` and its CRC-32
  };
  const std::vector<Case> cases = {
      {"ERR127302_1_subset.fastq.gz", {2576382, 0xe762e83e}},
      {"ecoli_1K_1.fq.gz", {243233, 0x860ec67e}},
      {"ecoli_1K_2.fq.gz", {242644, 0xc1403697}},
      {"racon_lambda_reads.fastq.gz", {1675936, 0xcbf7eebc}},  // multi-line FASTQ
  };
  for (const Case& c : cases) {
    dna_test::TempDir dir;
    const Cli r = run_pipeline(
        dir, convert("dna.fastq_read", data + "/" + c.file, "", "dna.fasta_write", dir / "out.fa", ""));
    INFO(c.file << "\n" << r.err);
    REQUIRE(r.exit_code == 0);
    check_output(dir / "out.fa", c.seqtk);
  }
}

TEST_CASE("CLI: FASTQ round trips byte for byte, plain and gzip", "[dna][cli][shared]") {
  DNA_REQUIRE_SHARED_DATA(data);
  for (const char* file : {"ERR127302_1_subset.fastq.gz", "ecoli_1K_1.fq.gz"}) {
    const std::string original = dna_test::gunzip_file(data + "/" + file);
    REQUIRE(!original.empty());
    for (const char* out : {"out.fq", "out.fq.gz"}) {
      dna_test::TempDir dir;
      const Cli r = run_pipeline(
          dir, convert("dna.fastq_read", data + "/" + file, "", "dna.fastq_write", dir / out, ""));
      INFO(file << " -> " << out << "\n" << r.err);
      REQUIRE(r.exit_code == 0);
      const std::string written =
          std::string(out).ends_with(".gz") ? dna_test::gunzip_file(dir / out) : dna_test::slurp(dir / out);
      CHECK(written.size() == original.size());
      CHECK(written == original);
    }
  }
  // Multi-line FASTQ comes out as four-line FASTQ, as `seqtk seq` writes it.
  dna_test::TempDir dir;
  const Cli r = run_pipeline(dir, convert("dna.fastq_read", data + "/racon_lambda_reads.fastq.gz", "",
                                          "dna.fastq_write", dir / "out.fq", ""));
  REQUIRE(r.exit_code == 0);
  check_output(dir / "out.fq", {3351272, 0x8d6ac26c});
}

TEST_CASE("CLI: FASTA round trips byte for byte at the file's own line width", "[dna][cli][shared]") {
  DNA_REQUIRE_SHARED_DATA(data);
  struct Case {
    const char* file;
    int width;
  };
  for (const Case& c : std::vector<Case>{{"MT-human.fa", 60},
                                         {"MT-orang.fa", 60},
                                         {"ce.fa", 50},
                                         {"racon_lambda_reference.fasta.gz", 80}}) {
    dna_test::TempDir dir;
    const std::string path = data + "/" + c.file;
    const Cli r = run_pipeline(dir, convert("dna.fasta_read", path, "", "dna.fasta_write", dir / "out.fa",
                                            "line_width = " + std::to_string(c.width) + "\n"));
    INFO(c.file << "\n" << r.err);
    REQUIRE(r.exit_code == 0);
    const std::string original =
        std::string(c.file).ends_with(".gz") ? dna_test::gunzip_file(path) : dna_test::slurp(path);
    CHECK(dna_test::slurp(dir / "out.fa") == original);
  }
  // lambda_virus.fa ends with a blank line, which FASTA writers (seqtk too) do not reproduce.
  dna_test::TempDir dir;
  Cli r = run_pipeline(dir, convert("dna.fasta_read", data + "/lambda_virus.fa", "", "dna.fasta_write",
                                    dir / "l.fa", "line_width = 70\n"));
  REQUIRE(r.exit_code == 0);
  check_output(dir / "l.fa", {49269, 0x8c868a11});  // seqtk seq -l 70
  r = run_pipeline(dir, convert("dna.fasta_read", data + "/ce.fa", "", "dna.fasta_write", dir / "ce.fa", ""));
  REQUIRE(r.exit_code == 0);
  check_output(dir / "ce.fa", {1039913, 0x29cc027c});  // seqtk seq -A
}

TEST_CASE("CLI: Phred+64 input, converted or kept with the repeated name", "[dna][cli][shared]") {
  DNA_REQUIRE_SHARED_DATA(data);
  const std::string in = data + "/seqtk_in_phred64.fq";
  dna_test::TempDir dir;
  Cli r = run_pipeline(
      dir, convert("dna.fastq_read", in, "quality_offset = 64\n", "dna.fastq_write", dir / "33.fq", ""));
  REQUIRE(r.exit_code == 0);
  check_output(dir / "33.fq", {956, 0x32f3e989});  // seqtk seq -Q64 -V
  r = run_pipeline(dir, convert("dna.fastq_read", in, "quality_offset = 64\n", "dna.fastq_write",
                                dir / "64.fq", "quality_offset = 64\nrepeat_name = true\n"));
  REQUIRE(r.exit_code == 0);
  CHECK(dna_test::slurp(dir / "64.fq") == dna_test::slurp(in));
  // A Phred+33 file read with offset 64 fails on its first character below '@': in ERR127302's first read
  // "HHHHHHHHHHHHHHHHHHHHEBDBB?B:..." that is the '?' (Q30) at column 26.
  r = run_pipeline(dir, convert("dna.fastq_read", data + "/ERR127302_1_subset.fastq.gz",
                                "quality_offset = 64\n", "dna.fastq_write", dir / "x.fq", ""));
  CHECK(r.exit_code == 1);
  CHECK_THAT(
      r.err,
      Catch::Contains(
          "ERR127302_1_subset.fastq.gz:record 1 (line 4): invalid quality character '?' at column 26"));
  CHECK_THAT(r.err, Catch::Contains("set quality_offset = 33"));
}

TEST_CASE("CLI: reverse complement equals seqtk seq -r", "[dna][cli][shared]") {
  DNA_REQUIRE_SHARED_DATA(data);
  dna_test::TempDir dir;
  const std::string toml = "[pipeline]\nname = \"rc\"\n" +
                           stage("read", "dna.fasta_read", "paths = [\"" + data + "/MT-human.fa\"]\n") +
                           stage("rc", "dna.revcomp") +
                           stage("write", "dna.fasta_write", "path = \"" + dir / "rc.fa" + "\"\n");
  const Cli r = run_pipeline(dir, toml);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  check_output(dir / "rc.fa", {16580, 0x74a0da0f});  // seqtk seq -r MT-human.fa
}

TEST_CASE("CLI: on_error = skip logs damaged records of a real file and keeps the rest",
          "[dna][cli][shared]") {
  DNA_REQUIRE_SHARED_DATA(data);
  dna_test::TempDir dir;
  std::vector<std::string> lines;
  {
    std::istringstream in(dna_test::gunzip_file(data + "/ecoli_1K_1.fq.gz"));
    std::string line;
    while (std::getline(in, line)) lines.push_back(line);
  }
  REQUIRE(lines.size() == 2054 * 4);
  // Record 100 loses its last quality character; from record 700 on, the first record whose quality does
  // not start with '@' (so that resynchronising on '@' finds the next header) gets '>' for its '@'.
  lines[100 * 4 - 1].pop_back();
  size_t bad = 700;
  while (lines[bad * 4 - 1][0] == '@') ++bad;
  lines[bad * 4 - 4][0] = '>';
  std::string damaged;
  for (const std::string& l : lines) damaged += l + "\n";
  dna_test::spit(dir / "damaged.fq", damaged);

  const std::string toml =
      convert("dna.fastq_read", dir / "damaged.fq", "", "dna.fasta_write", dir / "out.fa", "");
  Cli r = run_pipeline(dir, toml);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("damaged.fq:record 100 (line 400): the quality has"));
  CHECK_THAT(r.err, Catch::Contains("on_error = \"skip\" would skip this record"));
  CHECK_FALSE(std::filesystem::exists(dir / "out.fa"));

  r = run_pipeline(dir, "[pipeline]\nname = \"skip\"\non_error = \"skip\"\nerror_log = \"" +
                            dir / "errors.jsonl" + "\"\n" + toml.substr(toml.find("[[stage]]")));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const std::string log = dna_test::slurp(dir / "errors.jsonl");
  CHECK_THAT(log, Catch::Contains("damaged.fq:record 100 (line 400)"));
  CHECK_THAT(log, Catch::Contains("damaged.fq:record " + std::to_string(bad) + " (line " +
                                  std::to_string(bad * 4 - 3) +
                                  ")\",\"reason\":\"expected a header line starting with '@', found '>'"));
  const std::string out = dna_test::slurp(dir / "out.fa");
  CHECK(std::count(out.begin(), out.end(), '>') == 2052);
  // The neighbours of the damaged records are intact.
  CHECK_THAT(out, Catch::Contains(">" + lines[101 * 4 - 4].substr(1) + "\n" + lines[101 * 4 - 3] + "\n"));
  CHECK_THAT(out, Catch::Contains(">" + lines[bad * 4].substr(1) + "\n" + lines[bad * 4 + 1] + "\n"));
}
