// FastxReader: well-formed variants, buffer boundaries, compression, and malformed inputs with the exact
// error (record, line, reason) each must produce. Expected values are written out by hand.
#include "dna_test_util.hpp"
#include "fastx_writer.hpp"

#include <catch2/catch.hpp>

using dna_test::parse;
using dna_test::Rec;
using seqflow::dna::FastxReader;
using seqflow::dna::FastxRecord;
using seqflow::dna::Format;
using seqflow::dna::FormatError;
using seqflow::dna::ReaderOptions;

namespace {

// Every chunking of the input must give the same records.
std::vector<Rec> parse_all_ways(const std::string& text, Format format, ReaderOptions options = {}) {
  std::vector<Rec> first = parse(text, format, 1 << 20, options);
  for (size_t chunk : {1, 2, 3, 7, 64}) {
    ReaderOptions small = options;
    small.buffer_bytes = 16;
    std::vector<Rec> again = parse(text, format, chunk, small);
    REQUIRE(again.size() == first.size());
    for (size_t i = 0; i < first.size(); ++i) {
      CHECK(again[i].id == first[i].id);
      CHECK(again[i].description == first[i].description);
      CHECK(again[i].seq == first[i].seq);
      CHECK(again[i].qual == first[i].qual);
    }
  }
  return first;
}

}  // namespace

TEST_CASE("FASTA: multi-line, blank lines, CRLF, case, IUPAC, empty sequences", "[dna][reader]") {
  const std::string text =
      "\n>seq1 first one\nACGT\nacgtn\r\n\n>empty\n>seq3\tdesc with\ttab\r\nRYKMSWBDHVN-.*\n>last\nAC";
  auto recs = parse_all_ways(text, Format::kFasta);
  REQUIRE(recs.size() == 4);
  CHECK(recs[0].id == "seq1");
  CHECK(recs[0].description == "first one");
  CHECK(recs[0].seq == "ACGTacgtn");
  CHECK(recs[1].id == "empty");
  CHECK(recs[1].description.empty());
  CHECK(recs[1].seq.empty());
  CHECK(recs[2].id == "seq3");
  CHECK(recs[2].description == "desc with\ttab");
  CHECK(recs[2].seq == "RYKMSWBDHVN-.*");
  CHECK(recs[3].id == "last");
  CHECK(recs[3].seq == "AC");
}

TEST_CASE("FASTQ: single-line, multi-line, repeated names, empty reads, '@' and '+' in qualities",
          "[dna][reader]") {
  const std::string text =
      "@r1 desc\nACGT\n+\nIIII\n"
      "@r2\nACGTAC\nGTA\n+r2\n@@II+I\n+II\n"  // multi-line; quality lines start with '@' and '+'
      "@r3\r\nNNnn\r\n+r3\r\n!!!~\r\n"        // CRLF, the name repeated
      "@r4\n\n+\n\n"                          // empty read
      "@r5 x y\nA\n+r5 x y\n@";               // no final newline; quality '@' (Q31)
  auto recs = parse_all_ways(text, Format::kFastq);
  REQUIRE(recs.size() == 5);
  CHECK(recs[0].id == "r1");
  CHECK(recs[0].description == "desc");
  CHECK(recs[0].seq == "ACGT");
  CHECK(recs[0].qual == "IIII");
  CHECK(recs[1].seq == "ACGTACGTA");
  CHECK(recs[1].qual == "@@II+I+II");
  CHECK(recs[2].seq == "NNnn");
  CHECK(recs[2].qual == "!!!~");
  CHECK(recs[3].id == "r4");
  CHECK(recs[3].seq.empty());
  CHECK(recs[3].qual.empty());
  CHECK(recs[4].description == "x y");
  CHECK(recs[4].qual == "@");
}

TEST_CASE("FASTQ: Phred+64 is converted to Phred+33", "[dna][reader]") {
  ReaderOptions o;
  o.quality_offset = 64;
  // '@' = Q0, 'J' = Q10, 'h' = Q40 in Phred+64 -> '!', '+', 'I' in Phred+33.
  auto recs = parse_all_ways("@r\nACG\n+\n@Jh\n", Format::kFastq, o);
  REQUIRE(recs.size() == 1);
  CHECK(recs[0].qual == "!+I");
}

TEST_CASE("Header split: the first space or tab at every position, in every header length", "[dna][reader]") {
  // split_header_text scans eight bytes at a time; compare it with a byte-by-byte split.
  for (size_t len = 0; len <= 40; ++len) {
    for (size_t at = 0; at <= len; ++at) {
      for (char sep : {' ', '\t'}) {
        std::string text(len, 'x');
        for (size_t i = 0; i < len; ++i) text[i] = static_cast<char>('a' + i % 26);
        if (at < len) text[at] = sep;
        if (at + 3 < len) text[at + 3] = sep == ' ' ? '\t' : ' ';  // a later separator must not win
        std::string_view id, description;
        seqflow::dna::split_header_text(text, id, description);
        const size_t cut = text.find_first_of(" \t");
        INFO("header '" << text << "'");
        CHECK(id == text.substr(0, cut));
        CHECK(description == (cut == std::string::npos ? std::string() : text.substr(cut + 1)));
      }
    }
  }
}

TEST_CASE("FASTQ: the one-pass path and the general parser agree on every record shape", "[dna][reader]") {
  // Records the one-pass path takes (plain four lines, '+' with the name or the whole header) mixed
  // with ones it hands to the general parser (CRLF, multi-line, blank lines, empty reads), at every
  // chunking; Phred+64 is converted in both.
  const std::string text =
      "@a1 d\nACGTN\n+\n@ABCD\n"
      "@a2\tdesc x\nAC\n+a2\n@@\n"
      "@a3 h t\nG\n+a3 h t\nh\n"
      "@b1\r\nAC\r\n+\r\nHH\r\n"
      "\n@b2\nAC\nGT\n+\nABCD\n"
      "@b3\n\n+\n\n"
      "@a4\nTTTT\n+\nhhhh\n";
  ReaderOptions o;
  o.quality_offset = 64;
  auto recs = parse_all_ways(text, Format::kFastq, o);
  REQUIRE(recs.size() == 7);
  CHECK(recs[0].description == "d");
  CHECK(recs[0].qual == "!\"#$%");
  CHECK(recs[1].id == "a2");
  CHECK(recs[1].description == "desc x");
  CHECK(recs[1].qual == "!!");
  CHECK(recs[2].qual == "I");
  CHECK(recs[3].seq == "AC");
  CHECK(recs[3].qual == "))");
  CHECK(recs[4].seq == "ACGT");
  CHECK(recs[5].seq.empty());
  CHECK(recs[6].qual == "IIII");
}

TEST_CASE("FASTQ: a bad base or quality byte is found at every position of every length", "[dna][reader]") {
  // The checks run 16 bytes at a time with an overlapping last step; every position must still count.
  for (size_t n = 1; n <= 40; ++n) {
    for (size_t at = 0; at < n; ++at) {
      for (const char bad : {'1', '\x80', '@', '['}) {
        if (bad == '@' && at == 0) continue;  // a sequence line starting with '@' has its own error
        std::string seq(n, 'a'), qual(n, 'I');
        seq[at] = bad;
        INFO("length " << n << ", bad base at column " << at + 1);
        CHECK_THROWS_WITH(parse("@r\n" + seq + "\n+\n" + qual + "\n", Format::kFastq),
                          Catch::Contains("in the sequence at column " + std::to_string(at + 1)));
      }
      for (const char bad : {' ', '\x7f', '\xff'}) {
        std::string seq(n, 'C'), qual(n, '~');
        qual[at] = bad;
        INFO("length " << n << ", bad quality at column " << at + 1);
        CHECK_THROWS_WITH(parse("@r\n" + seq + "\n+\n" + qual + "\n", Format::kFastq),
                          Catch::Contains("invalid quality character") &&
                              Catch::Contains("at column " + std::to_string(at + 1)));
      }
    }
  }
}

TEST_CASE("Reader: records longer than the buffer grow it; the guard stops runaway lines", "[dna][reader]") {
  std::string seq(100000, 'A');
  for (size_t i = 0; i < seq.size(); i += 7) seq[i] = 'C';
  const std::string qual(seq.size(), 'F');
  ReaderOptions o;
  o.buffer_bytes = 16;
  auto recs = parse("@long\n" + seq + "\n+\n" + qual + "\n@short\nA\n+\nI\n", Format::kFastq, 4093, o);
  REQUIRE(recs.size() == 2);
  CHECK(recs[0].seq == seq);
  CHECK(recs[0].qual == qual);
  CHECK(recs[1].seq == "A");

  o.max_record_bytes = 1024;
  try {
    parse(">x\n" + seq + "\n", Format::kFasta, 4096, o);
    FAIL("expected an error");
  } catch (const FormatError& e) {
    CHECK_FALSE(e.recoverable());
    CHECK_THAT(e.reason(), Catch::Contains("longer than 1024 bytes"));
  }
}

TEST_CASE("Reader: plain, gzip (several members) and BGZF files read the same", "[dna][reader]") {
  dna_test::TempDir dir;
  std::string text;
  for (int i = 0; i < 3000; ++i) {
    text += "@read" + std::to_string(i) + " sample=" + std::to_string(i % 7) + "\nACGTTGCAAGGCTTAN" +
            std::string(static_cast<size_t>(i % 50), 'G') + "\n+\n" +
            std::string(16 + static_cast<size_t>(i % 50), 'E') + "\n";
  }
  dna_test::spit(dir / "plain.fq", text);
  dna_test::spit_gzip(dir / "a.gz", text.substr(0, text.size() / 2));
  dna_test::spit_gzip(dir / "b.gz", text.substr(text.size() / 2));
  dna_test::spit(dir / "two_members.fq.gz", dna_test::slurp(dir / "a.gz") + dna_test::slurp(dir / "b.gz"));
  {
    seqflow::dna::WriterOptions wo;
    wo.gzip = true;
    seqflow::dna::FastxWriter w(dir / "bgzf.fq.gz", Format::kFastq, wo);
    for (const Rec& r : parse(text, Format::kFastq)) w.write(r.id, r.description, r.seq, r.qual);
    w.commit();
  }
  seqflow::dna::Compression kind{};
  seqflow::dna::open_input(dir / "bgzf.fq.gz", &kind);
  CHECK(kind == seqflow::dna::Compression::kBgzf);
  seqflow::dna::open_input(dir / "two_members.fq.gz", &kind);
  CHECK(kind == seqflow::dna::Compression::kGzip);

  for (bool prefetch : {false, true}) {
    for (const char* name : {"plain.fq", "two_members.fq.gz", "bgzf.fq.gz"}) {
      ReaderOptions o;
      o.prefetch = prefetch;
      auto reader = FastxReader::open(dir / name, Format::kFastq, o);
      FastxRecord r;
      size_t n = 0;
      size_t bases = 0;
      std::string last;
      while (reader->next(r)) {
        ++n;
        bases += r.seq.size();
        last = std::string(r.id) + " " + std::string(r.description);
      }
      INFO(name << " prefetch=" << prefetch);
      CHECK(n == 3000);
      // 3000 * 16 + sum over i of (i % 50) = 48000 + 60 * (0 + ... + 49) = 48000 + 73500
      CHECK(bases == 121500);
      CHECK(last == "read2999 sample=3");
    }
  }
}

namespace {

struct Bad {
  const char* name;
  Format format;
  std::string text;
  uint64_t record;
  uint64_t line;
  const char* reason;
  bool recoverable;
  std::vector<std::string> ids_after;  // ids read when the bad record is skipped
  int quality_offset = 33;
};

}  // namespace

TEST_CASE("Malformed FASTA/FASTQ: each input has its error, and skipping goes on where it can",
          "[dna][reader]") {
  const std::vector<Bad> cases = {
      {"quality shorter than sequence",
       Format::kFastq,
       "@r1\nACGT\n+\nIII\n@r2\nAC\n+\nII\n",
       1,
       4,
       "the quality has 3 characters but the sequence has 4 bases",
       true,
       {"r2"}},
      {"quality longer than sequence",
       Format::kFastq,
       "@r1\nACGT\n+\nIIIII\n@r2\nAC\n+\nII\n",
       1,
       4,
       "the quality has 5 characters but the sequence has 4 bases",
       true,
       {"r2"}},
      {"header without '@'",
       Format::kFastq,
       "@r1\nAC\n+\nII\nr2\nAC\n+\nII\n@r3\nA\n+\nI\n",
       2,
       5,
       "expected a header line starting with '@', found 'r'",
       true,
       {"r1", "r3"}},
      {"missing '+' line",
       Format::kFastq,
       "@r1\nACGT\nIIII\n@r2\nAC\n+\nII\n",
       1,
       4,
       "expected the '+' line after the sequence, found a line starting with '@'",
       true,
       {"r2"}},
      {"missing '+' at end of file",
       Format::kFastq,
       "@r0\nA\n+\nI\n@r1\nACGT\n",
       2,
       6,
       "the file ends inside the record: the '+' line and qualities are missing",
       true,
       {"r0"}},
      {"header only", Format::kFastq, "@r1\n", 1, 1, "the file ends after the header", true, {}},
      {"empty read name",
       Format::kFastq,
       "@\nACGT\n+\nIIII\n@r2\nA\n+\nI\n",
       1,
       1,
       "the header has no read name after '@'",
       true,
       {"r2"}},
      {"digit in a FASTQ sequence",
       Format::kFastq,
       "@r1\nAC1T\n+\nIIII\n@r2\nA\n+\nI\n",
       1,
       2,
       "invalid character '1' in the sequence at column 3",
       true,
       {"r2"}},
      {"space in the qualities",
       Format::kFastq,
       "@r1\nACGT\n+\nII I\n@r2\nA\n+\nI\n",
       1,
       4,
       "invalid quality character byte 0x20 at column 3",
       true,
       {"r2"}},
      {"Phred+33 read as Phred+64",
       Format::kFastq,
       "@r1\nACGT\n+\n#III\n",
       1,
       4,
       "is this Phred+33? set quality_offset = 33",
       true,
       {},
       64},
      {"'+' line names another read",
       Format::kFastq,
       "@r1\nACGT\n+r2\nIIII\n@r2\nA\n+\nI\n",
       1,
       3,
       "the '+' line repeats the name 'r2', which differs from the header's 'r1'",
       true,
       {"r2"}},
      {"qualities cut off at end of file",
       Format::kFastq,
       "@r1\nACGTACGT\n+\nIIII",
       1,
       4,
       "the file ends inside the qualities: 4 quality characters for 8 bases",
       true,
       {}},
      {"sequence line missing",
       Format::kFastq,
       "@r1\n@r2\nAC\n+\nII\n",
       1,
       2,
       "the line after the header starts with '@', not a sequence",
       true,
       {"r2"}},
      {"FASTA given to the FASTQ reader",
       Format::kFastq,
       ">r1\nACGT\n",
       1,
       1,
       "must start with '@', found '>'; it looks like FASTA: use dna.fasta_read",
       false,
       {}},
      {"text that is not FASTQ",
       Format::kFastq,
       "\nhello world\n",
       1,
       2,
       "a FASTQ file must start with '@', found 'h'",
       false,
       {}},
      {"binary data",
       Format::kFastq,
       std::string("@BAM\x01\x00\x00\x00", 8),
       1,
       1,
       "the file holds binary data (NUL bytes)",
       false,
       {}},
      {"space in a FASTA sequence",
       Format::kFasta,
       ">a\nACGT\nAC GT\n>b\nAA\n",
       1,
       3,
       "invalid character byte 0x20 in the sequence at column 3",
       true,
       {"b"}},
      {"GenBank-style numbers in FASTA",
       Format::kFasta,
       ">a\n1 acgt\n>b\nAA\n",
       1,
       2,
       "invalid character '1' in the sequence at column 1",
       true,
       {"b"}},
      {"FASTA header without a name",
       Format::kFasta,
       ">\nACGT\n>b\nA\n",
       1,
       1,
       "the header has no sequence name after '>'",
       true,
       {"b"}},
      {"FASTQ given to the FASTA reader",
       Format::kFasta,
       "@r1\nAC\n+\nII\n",
       1,
       1,
       "it looks like FASTQ: use dna.fastq_read",
       false,
       {}},
      {"sequence before the first header",
       Format::kFasta,
       "ACGT\n>a\nAC\n",
       1,
       1,
       "a FASTA file must start with '>', found 'A'",
       false,
       {}},
      {"control byte in FASTA",
       Format::kFasta,
       std::string(">a\nAC\x07T\n>b\nA\n"),
       1,
       2,
       "invalid character byte 0x07 in the sequence at column 3",
       true,
       {"b"}},
  };
  REQUIRE(cases.size() >= 15);
  for (const Bad& c : cases) {
    INFO(c.name);
    ReaderOptions o;
    o.quality_offset = c.quality_offset;
    FastxReader reader(std::make_unique<dna_test::StringSource>(c.text, 3), "bad.txt", c.format, o);
    FastxRecord r;
    std::vector<std::string> ids;
    bool thrown = false;
    for (;;) {
      try {
        if (!reader.next(r)) break;
        ids.emplace_back(r.id);
      } catch (const FormatError& e) {
        CHECK_FALSE(thrown);  // one error per case
        thrown = true;
        CHECK(e.where() ==
              "bad.txt:record " + std::to_string(c.record) + " (line " + std::to_string(c.line) + ")");
        CHECK_THAT(e.reason(), Catch::Contains(c.reason));
        CHECK(e.recoverable() == c.recoverable);
        CHECK_THAT(std::string(e.what()), Catch::StartsWith(e.where() + ": "));
        if (!e.recoverable()) break;
      }
    }
    CHECK(thrown);
    CHECK(ids == c.ids_after);
  }
}

TEST_CASE("Malformed compressed input: truncated, corrupt and trailing garbage", "[dna][reader]") {
  dna_test::TempDir dir;
  std::string text;
  for (int i = 0; i < 20000; ++i)
    text += "@r" + std::to_string(i) + "\nACGTACGTTTGACCA\n+\nIIIIIIIIIIIIIII\n";
  dna_test::spit_gzip(dir / "ok.fq.gz", text);
  const std::string gz = dna_test::slurp(dir / "ok.fq.gz");
  {
    seqflow::dna::WriterOptions wo;
    wo.gzip = true;
    seqflow::dna::FastxWriter w(dir / "ok.bgzf.gz", Format::kFastq, wo);
    for (const Rec& r : parse(text, Format::kFastq)) w.write(r.id, r.description, r.seq, r.qual);
    w.commit();
  }
  const std::string bgzf = dna_test::slurp(dir / "ok.bgzf.gz");
  std::string corrupt = gz;
  for (size_t i = corrupt.size() / 2; i < corrupt.size() / 2 + 64; ++i)
    corrupt[i] = static_cast<char>(~corrupt[i]);
  std::string gz_bad_crc = gz;
  gz_bad_crc[gz.size() - 8] = static_cast<char>(~gz_bad_crc[gz.size() - 8]);  // the member's CRC-32
  std::string bad_crc = bgzf;
  bad_crc[bgzf.size() - 28 - 8] = static_cast<char>(~bad_crc[bgzf.size() - 28 - 8]);  // last data block's CRC

  struct Case {
    const char* name;
    std::string bytes;
    const char* reason;
    bool all_records = false;  // every record comes out before the error
  };
  const std::vector<Case> cases = {
      {"gzip cut short", gz.substr(0, gz.size() - 100), "is truncated: it ends inside a compressed member"},
      {"gzip damaged in the middle", corrupt, "is corrupt near byte"},
      {"gzip with trailing garbage", gz + "garbage!", "has trailing data that is not gzip", true},
      {"gzip with a wrong CRC-32", gz_bad_crc, "CRC-32 or length check failed"},
      {"BGZF cut inside a block", bgzf.substr(0, bgzf.size() / 2),
       "is truncated (the file ends inside a compressed block)"},
      {"BGZF with a bad CRC", bad_crc, "fails its CRC check"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    dna_test::spit(dir / "bad.gz", c.bytes);
    auto reader = FastxReader::open(dir / "bad.gz", Format::kFastq);
    FastxRecord r;
    size_t n = 0;
    std::string where;
    try {
      while (reader->next(r)) ++n;
      FAIL("expected an error");
    } catch (const FormatError& e) {
      CHECK_FALSE(e.recoverable());
      CHECK_THAT(e.reason(), Catch::Contains(c.reason));
      where = e.where();
    }
    // The records decoded before the damage all come out first; the error names the next one.
    if (c.all_records) {
      CHECK(n == 20000);
    } else {
      CHECK(n > 100);
      CHECK(n < 20000);
    }
    CHECK(where.rfind(dir / "bad.gz" + ":record " + std::to_string(n + 1) + " (line ", 0) == 0);
  }

  // Header damage igzip itself would not name: reserved flags (at the first member, so no record comes
  // out) and a second member cut inside its first four bytes (after every record of the first).
  std::string reserved = gz;
  reserved[3] = static_cast<char>(0xe0);
  const std::pair<std::string, const char*> headers[] = {
      {reserved, "reserved header flags set"},
      {gz + gz.substr(0, 3), "a member cut short in its header"},
  };
  for (const auto& [bytes, reason] : headers) {
    INFO(reason);
    dna_test::spit(dir / "bad.gz", bytes);
    auto reader = FastxReader::open(dir / "bad.gz", Format::kFastq);
    FastxRecord r;
    size_t n = 0;
    try {
      while (reader->next(r)) ++n;
      FAIL("expected an error");
    } catch (const FormatError& e) {
      CHECK_FALSE(e.recoverable());
      CHECK_THAT(e.reason(), Catch::Contains(reason) && Catch::Contains("is corrupt near byte"));
    }
    CHECK(n == (bytes.size() > gz.size() ? 20000u : 0u));
  }
}

TEST_CASE("Reader: missing files and directories are clear errors", "[dna][reader]") {
  dna_test::TempDir dir;
  try {
    FastxReader::open(dir / "nope.fq", Format::kFastq);
    FAIL("expected an error");
  } catch (const FormatError& e) {
    CHECK_THAT(e.reason(),
               Catch::Contains("cannot open '" + dir / "nope.fq" + "': No such file or directory"));
  }
  try {
    FastxReader::open(dir.path(), Format::kFasta);
    FAIL("expected an error");
  } catch (const FormatError& e) {
    CHECK_THAT(e.reason(), Catch::Contains("is a directory"));
  }
}

TEST_CASE("Reader: an empty file has no records", "[dna][reader]") {
  CHECK(parse("", Format::kFastq).empty());
  CHECK(parse("\n\n", Format::kFasta).empty());
}
