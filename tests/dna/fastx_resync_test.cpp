// Byte-range shards of FASTQ/FASTA (fastx_resync.cpp, open_input_range): on adversarial reads whose
// quality lines start with '@' (and '+', and look like headers), every offset resynchronises to the
// first true record start after it (checked exhaustively against the starts known by construction),
// and for N = 1..7 the shards' records, read in shard order, are exactly the file's records: plain and
// BGZF, four-line and multi-line FASTQ, FASTA.
#include "dna_test_util.hpp"

#include "fastx_resync.hpp"
#include "fastx_writer.hpp"

#include <seqflow/shard.hpp>

#include <catch2/catch.hpp>

#include <random>
#include <set>

using namespace seqflow::dna;

namespace {

struct Built {
  std::string text;
  std::vector<uint64_t> starts;  // byte offset of every record's first byte
  std::vector<std::string> ids;
};

// Reads built to mislead a resynchroniser: qualities that begin with '@' (often), '+' and '@' inside,
// quality lines that copy a header's text, ids that look like qualities, empty reads.
Built adversarial_fastq(uint32_t seed, int records, int wrap) {
  std::mt19937 rng(seed);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint32_t>(n)); };
  Built b;
  const std::string bases = "ACGTN";
  for (int r = 0; r < records; ++r) {
    const size_t len = pick(5) == 0 ? 0 : 1 + static_cast<size_t>(pick(60));
    std::string seq, qual;
    for (size_t i = 0; i < len; ++i) seq += bases[static_cast<size_t>(pick(5))];
    const std::string id = pick(3) == 0 ? "IIII" + std::to_string(r) : "read" + std::to_string(r);
    for (size_t i = 0; i < len; ++i) {
      const int k = pick(10);
      qual += k < 3 ? '@' : k < 5 ? '+' : static_cast<char>('!' + pick(60));
    }
    if (len > 0 && pick(2) == 0) qual[0] = '@';
    if (len >= id.size() + 1 && pick(4) == 0) qual.replace(0, id.size() + 1, "@" + id);
    b.starts.push_back(b.text.size());
    b.ids.push_back(id);
    b.text += "@" + id + (pick(2) ? " desc@" + std::to_string(r) : "") + "\n";
    auto lines = [&](const std::string& s) {
      if (wrap == 0 || s.empty()) {
        b.text += s + "\n";
        return;
      }
      for (size_t i = 0; i < s.size(); i += static_cast<size_t>(wrap))
        b.text += s.substr(i, static_cast<size_t>(wrap)) + "\n";
    };
    lines(seq);
    b.text += pick(3) == 0 ? "+" + id + "\n" : "+\n";
    lines(qual);
  }
  return b;
}

Built fasta(uint32_t seed, int records) {
  std::mt19937 rng(seed);
  Built b;
  for (int r = 0; r < records; ++r) {
    b.starts.push_back(b.text.size());
    b.ids.push_back("s" + std::to_string(r));
    b.text += ">s" + std::to_string(r) + " x>y\n";
    const int lines = static_cast<int>(rng() % 4);
    for (int l = 0; l < lines; ++l) b.text += std::string(1 + rng() % 50, "ACGT"[rng() % 4]) + "\n";
  }
  return b;
}

std::vector<std::string> ids_in(std::unique_ptr<ByteSource> src, Format f) {
  FastxReader reader(std::move(src), "test", f);
  std::vector<std::string> ids;
  FastxRecord r;
  while (reader.next(r)) ids.emplace_back(r.id);
  return ids;
}

// Shards 0..n-1 of `path`, each read from resync(begin) to resync(end), in order.
std::vector<std::string> sharded_ids(const std::string& path, Compression kind, Format f, uint32_t n) {
  const std::vector<uint64_t> sizes = seqflow::file_sizes({path});
  std::vector<std::string> all;
  for (uint32_t i = 0; i < n; ++i)
    for (const seqflow::ByteSpan& s : seqflow::shard_byte_spans(sizes, i, n)) {
      const VirtualOffset from = resync(path, kind, f, s.begin), to = resync(path, kind, f, s.end);
      for (std::string& id : ids_in(open_input_range(path, kind, from, to), f)) all.push_back(std::move(id));
    }
  return all;
}

}  // namespace

TEST_CASE("resync finds the first true record start after every offset", "[dna][shard]") {
  dna_test::TempDir dir;
  for (int wrap : {0, 7}) {
    for (uint32_t seed : {1u, 2u, 3u}) {
      const Built b = adversarial_fastq(seed, 120, wrap);
      const std::string path = dir / ("adv" + std::to_string(seed) + "_" + std::to_string(wrap) + ".fq");
      dna_test::spit(path, b.text);
      INFO("seed " << seed << ", wrap " << wrap);
      REQUIRE(ids_in(open_input(path), Format::kFastq) == b.ids);  // the reader itself agrees
      for (uint64_t o = 0; o <= b.text.size(); ++o) {
        // The first start strictly after o (o itself only for 0), else the end of the file.
        auto it = o == 0 ? b.starts.begin() : std::upper_bound(b.starts.begin(), b.starts.end(), o);
        const uint64_t want = it == b.starts.end() ? b.text.size() : *it;
        const VirtualOffset got = resync(path, Compression::kNone, Format::kFastq, o);
        if (got.block != want) FAIL("offset " << o << ": resync gave " << got.block << ", expected " << want);
      }
    }
  }
  const Built f = fasta(9, 200);
  const std::string path = dir / "a.fa";
  dna_test::spit(path, f.text);
  for (uint64_t o = 0; o <= f.text.size(); ++o) {
    auto it = o == 0 ? f.starts.begin() : std::upper_bound(f.starts.begin(), f.starts.end(), o);
    const uint64_t want = it == f.starts.end() ? f.text.size() : *it;
    REQUIRE(resync(path, Compression::kNone, Format::kFasta, o).block == want);
  }
}

TEST_CASE("byte-range shards partition adversarial FASTQ exactly, plain and BGZF", "[dna][shard]") {
  dna_test::TempDir dir;
  for (int wrap : {0, 5}) {
    const Built b = adversarial_fastq(42, 3000, wrap);
    const std::string plain = dir / ("adv_" + std::to_string(wrap) + ".fq");
    dna_test::spit(plain, b.text);
    // BGZF of the same records through dna's own writer (four-line output, so the plain text for the
    // multi-line case is the reader's four-line form).
    const std::string bgzf = dir / ("adv_" + std::to_string(wrap) + ".fq.gz");
    {
      WriterOptions o;
      o.gzip = true;
      o.level = 1;
      FastxWriter w(bgzf, Format::kFastq, o);
      FastxReader r(open_input(plain), "adv", Format::kFastq);
      FastxRecord rec;
      while (r.next(rec)) w.write(rec.id, rec.description, rec.seq, rec.qual);
      w.commit();
    }
    REQUIRE(sniff_compression(bgzf) == Compression::kBgzf);
    for (uint32_t n = 1; n <= 7; ++n) {
      INFO("wrap " << wrap << ", N = " << n);
      CHECK(sharded_ids(plain, Compression::kNone, Format::kFastq, n) == b.ids);
      CHECK(sharded_ids(bgzf, Compression::kBgzf, Format::kFastq, n) == b.ids);
    }
  }
}

TEST_CASE("byte ranges refuse plain gzip, which cannot be entered in the middle", "[dna][shard]") {
  dna_test::TempDir dir;
  const std::string path = dir / "a.fq.gz";
  dna_test::spit_gzip(path, "@a\nAC\n+\nII\n");
  CHECK(sniff_compression(path) == Compression::kGzip);
  CHECK_THROWS_WITH(open_input_range(path, Compression::kGzip, {0, 0}, {10, 0}),
                    Catch::Contains("is gzip but not BGZF"));
}
