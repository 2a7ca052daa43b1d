// The core reader and tokenizer on the real files in ../shared/data/dna. Expected counts come from its
// PROVENANCE.md (computed there with other tools); per-read checks use naive code written in this test.
// Skips with a warning when the shared data is absent.
#include "dna_test_util.hpp"
#include "kmer.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <map>

using seqflow::dna::FastxReader;
using seqflow::dna::FastxRecord;
using seqflow::dna::Format;

namespace {

struct Summary {
  size_t records = 0;
  size_t bases = 0;
  size_t min_length = SIZE_MAX;
  size_t max_length = 0;
  std::map<char, size_t> composition;
  size_t lowercase = 0;
};

Summary summarize(const std::string& path, Format format) {
  Summary s;
  auto reader = FastxReader::open(path, format);
  FastxRecord r;
  while (reader->next(r)) {
    ++s.records;
    s.bases += r.seq.size();
    s.min_length = std::min(s.min_length, r.seq.size());
    s.max_length = std::max(s.max_length, r.seq.size());
    for (char c : r.seq) {
      ++s.composition[c];
      s.lowercase += (c >= 'a' && c <= 'z');
    }
    if (format == Format::kFastq) REQUIRE(r.qual.size() == r.seq.size());
  }
  return s;
}

}  // namespace

TEST_CASE("Real FASTQ: record and base counts from PROVENANCE.md", "[dna][shared]") {
  DNA_REQUIRE_SHARED_DATA(dir);
  const Summary err = summarize(dir + "/ERR127302_1_subset.fastq.gz", Format::kFastq);
  CHECK(err.records == 20000);
  CHECK(err.bases == 20000 * 72);
  CHECK(err.composition.at('A') == 328410);
  CHECK(err.composition.at('C') == 393391);
  CHECK(err.composition.at('G') == 391338);
  CHECK(err.composition.at('T') == 326039);
  CHECK(err.composition.at('N') == 822);

  const Summary e1 = summarize(dir + "/ecoli_1K_1.fq.gz", Format::kFastq);
  CHECK(e1.records == 2054);
  CHECK(e1.bases == 178211);
  CHECK(e1.min_length >= 30);
  CHECK(e1.max_length <= 100);
  const Summary e2 = summarize(dir + "/ecoli_1K_2.fq.gz", Format::kFastq);
  CHECK(e2.records == 2054);
  CHECK(e2.bases == 175739);

  // Multi-line FASTQ (80 columns).
  const Summary racon = summarize(dir + "/racon_lambda_reads.fastq.gz", Format::kFastq);
  CHECK(racon.records == 236);
  CHECK(racon.bases == 1674628);
  CHECK(racon.min_length == 443);
  CHECK(racon.max_length == 11968);

  const Summary p64 = summarize(dir + "/seqtk_in_phred64.fq", Format::kFastq);
  CHECK(p64.records == 9);
  CHECK(p64.bases == 324);
}

TEST_CASE("Real FASTA: record and base counts from PROVENANCE.md", "[dna][shared]") {
  DNA_REQUIRE_SHARED_DATA(dir);
  const Summary mt = summarize(dir + "/MT-human.fa", Format::kFasta);
  CHECK(mt.records == 1);
  CHECK(mt.bases == 16569);
  CHECK(mt.lowercase == 1);
  CHECK(summarize(dir + "/MT-orang.fa", Format::kFasta).bases == 16499);
  const Summary ce = summarize(dir + "/ce.fa", Format::kFasta);
  CHECK(ce.records == 7);
  CHECK(ce.bases == 1039800);
  CHECK(ce.max_length == 1009800);
  CHECK(summarize(dir + "/lambda_virus.fa", Format::kFasta).bases == 48502);
  CHECK(summarize(dir + "/racon_lambda_reference.fasta.gz", Format::kFasta).bases == 48502);

  auto reader = FastxReader::open(dir + "/MT-orang.fa", Format::kFasta);
  FastxRecord r;
  REQUIRE(reader->next(r));
  CHECK(r.id == "MT_orang");
  CHECK(r.description == "co:Z:comment");
}

TEST_CASE("Real FASTQ: every chunking of the decompressed stream parses the same", "[dna][shared]") {
  DNA_REQUIRE_SHARED_DATA(dir);
  const std::string text = dna_test::gunzip_file(dir + "/racon_lambda_reads.fastq.gz");
  REQUIRE(!text.empty());
  seqflow::dna::ReaderOptions small;
  small.buffer_bytes = 4096;  // far below the longest record, so the buffer must grow
  const auto whole = dna_test::parse(text, Format::kFastq);
  const auto chunked = dna_test::parse(text, Format::kFastq, 1000, small);
  REQUIRE(whole.size() == 236);
  REQUIRE(chunked.size() == whole.size());
  for (size_t i = 0; i < whole.size(); ++i) {
    CHECK(chunked[i].seq == whole[i].seq);
    CHECK(chunked[i].qual == whole[i].qual);
  }
  CHECK(whole[0].id == "1");
}

TEST_CASE("Real reads: 6-mer ids equal a naive slicing tokenizer on every read", "[dna][shared]") {
  DNA_REQUIRE_SHARED_DATA(dir);
  seqflow::dna::KmerOptions o;
  o.k = 6;
  o.add_cls_sep = true;
  const seqflow::dna::KmerTokenizer tokenizer(o);
  auto reader = FastxReader::open(dir + "/ERR127302_1_subset.fastq.gz", Format::kFastq);
  FastxRecord r;
  size_t unk = 0;
  size_t tokens = 0;
  std::vector<int32_t> ids;
  while (reader->next(r)) {
    ids.assign(tokenizer.count(r.seq.size()), -1);
    tokenizer.encode(r.seq, ids.data());
    REQUIRE(ids.size() == 72 - 6 + 1 + 2);
    CHECK(ids.front() == 2);
    CHECK(ids.back() == 3);
    const std::string seq(r.seq);
    for (size_t s = 0; s + 6 <= seq.size(); ++s) {
      const std::string kmer = seq.substr(s, 6);
      int32_t expected = 5;
      int32_t place = 1024;
      for (char c : kmer) {
        const size_t v = std::string("ACGT").find(c);
        if (v == std::string::npos) {
          expected = 1;
          break;
        }
        expected += static_cast<int32_t>(v) * place;
        place /= 4;
      }
      unk += expected == 1;
      REQUIRE(ids[s + 1] == expected);
    }
    tokens += ids.size();
  }
  CHECK(tokens == 20000 * 69);
  CHECK(unk > 0);  // the file has 822 N bases
}
