// FastxWriter: exact bytes for FASTA (one line and wrapped, as `seqtk seq -A [-l N]` writes them) and FASTQ,
// BGZF output readable by zlib, rejected records, and the temporary-file contract.
#include "fastx_writer.hpp"
#include "dna_test_util.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

using seqflow::dna::FastxWriter;
using seqflow::dna::Format;
using seqflow::dna::WriterOptions;

TEST_CASE("FASTA writer: one line per sequence and wrapped lines", "[dna][writer]") {
  dna_test::TempDir dir;
  WriterOptions o;
  {
    FastxWriter w(dir / "a.fa", Format::kFasta, o);
    w.write("a", "desc x", "ACGTac", "");
    w.write("b", "", "", "");
    w.write("c", "t1\tt2", "NNN", "");
    w.commit();
  }
  // Bytes as `seqtk seq -A` writes them for the same records (checked by hand against seqtk 1.3).
  CHECK(dna_test::slurp(dir / "a.fa") == ">a desc x\nACGTac\n>b\n\n>c t1\tt2\nNNN\n");
  o.line_width = 3;
  {
    FastxWriter w(dir / "b.fa", Format::kFasta, o);
    w.write("a", "desc x", "ACGTac", "");
    w.write("b", "", "", "");
    w.write("c", "", "NNNNNNN", "");
    w.commit();
  }
  // seqtk seq -l 3 writes no line at all for an empty sequence.
  CHECK(dna_test::slurp(dir / "b.fa") == ">a desc x\nACG\nTac\n>b\n>c\nNNN\nNNN\nN\n");
}

TEST_CASE("FASTQ writer: four lines, repeat_name, Phred+64 output", "[dna][writer]") {
  dna_test::TempDir dir;
  WriterOptions o;
  {
    FastxWriter w(dir / "a.fq", Format::kFastq, o);
    w.write("r1", "d", "ACGT", "!+I~");
    w.write("r2", "", "", "");
    w.commit();
  }
  CHECK(dna_test::slurp(dir / "a.fq") == "@r1 d\nACGT\n+\n!+I~\n@r2\n\n+\n\n");
  o.repeat_name = true;
  o.quality_offset = 64;
  {
    FastxWriter w(dir / "b.fq", Format::kFastq, o);
    w.write("r1", "d", "ACG", "!+I");  // Q0, Q10, Q40 -> '@', 'J', 'h'
    w.commit();
  }
  CHECK(dna_test::slurp(dir / "b.fq") == "@r1 d\nACG\n+r1 d\n@Jh\n");
}

TEST_CASE("FASTQ writer: a record it cannot write is rejected whole", "[dna][writer]") {
  dna_test::TempDir dir;
  WriterOptions o;
  FastxWriter w(dir / "a.fq", Format::kFastq, o);
  CHECK_THROWS_WITH(
      w.write("r1", "", "ACGT", "III"),
      Catch::Contains("record 'r1': the quality has 3 characters but the sequence has 4 bases"));
  CHECK_THROWS_WITH(w.write("r2", "", "AC", "I\x01"), Catch::Contains("outside Phred+33"));
  o.quality_offset = 64;
  FastxWriter w64(dir / "b.fq", Format::kFastq, o);
  CHECK_THROWS_WITH(w64.write("r3", "", "A", "~"), Catch::Contains("Phred+64 output tops out at Q62"));
  w.write("ok", "", "A", "I");
  w.commit();
  CHECK(dna_test::slurp(dir / "a.fq") == "@ok\nA\n+\nI\n");
}

TEST_CASE("Writer: BGZF output is gzip that zlib reads back", "[dna][writer]") {
  dna_test::TempDir dir;
  WriterOptions o;
  o.gzip = true;
  std::string expected;
  {
    FastxWriter w(dir / "a.fa.gz", Format::kFasta, o);
    for (int i = 0; i < 50000; ++i) {
      const std::string id = "s" + std::to_string(i);
      const std::string seq = std::string(static_cast<size_t>(i % 97), "ACGT"[i % 4]) + "TTGACA";
      w.write(id, "", seq, "");
      expected += ">" + id + "\n" + seq + "\n";
    }
    w.commit();
  }
  CHECK(dna_test::gunzip_file(dir / "a.fa.gz") == expected);
  const std::string raw = dna_test::slurp(dir / "a.fa.gz");
  // Ends with the 28-byte BGZF end-of-file block.
  REQUIRE(raw.size() > 28);
  CHECK(raw.substr(raw.size() - 28, 4) == std::string("\x1f\x8b\x08\x04", 4));
  CHECK(seqflow::dna::has_gzip_extension("x.fq.gz"));
  CHECK(seqflow::dna::has_gzip_extension("x.bgz"));
  CHECK_FALSE(seqflow::dna::has_gzip_extension("x.fq"));
  CHECK_FALSE(seqflow::dna::has_gzip_extension(".gz"));
}

TEST_CASE("Writer: nothing appears at the path until commit; an abandoned writer leaves nothing",
          "[dna][writer]") {
  dna_test::TempDir dir;
  {
    FastxWriter w(dir / "x.fa", Format::kFasta, WriterOptions{});
    w.write("a", "", "ACGT", "");
    CHECK_FALSE(std::filesystem::exists(dir / "x.fa"));
  }
  CHECK(std::filesystem::is_empty(dir.path()));
  CHECK_THROWS_WITH(FastxWriter(dir.path(), Format::kFasta, WriterOptions{}),
                    Catch::Contains("a folder of that name exists"));
  CHECK_THROWS_WITH(FastxWriter("/dev/null", Format::kFasta, WriterOptions{}),
                    Catch::Contains("'/dev/null': it exists and is not a regular file"));
  CHECK(std::filesystem::is_character_file("/dev/null"));
  WriterOptions bad;
  bad.gzip = true;
  bad.level = 13;
  CHECK_THROWS_WITH(FastxWriter(dir / "y.gz", Format::kFasta, bad),
                    Catch::Contains("level 13 is out of range"));
}
