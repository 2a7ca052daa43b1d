// KmerTokenizer: hand-computed ids, a naive reference (string slicing and a polynomial per k-mer) over
// random sequences for every k, vocabulary files and every option error.
#include "kmer.hpp"
#include "dna_test_util.hpp"

#include <catch2/catch.hpp>

#include <random>

using seqflow::dna::KmerOptions;
using seqflow::dna::KmerTokenizer;

namespace {

std::vector<int32_t> encode(const KmerTokenizer& t, const std::string& seq) {
  std::vector<int32_t> out(t.count(seq.size()), -7);
  t.encode(seq, out.data());
  return out;
}

KmerTokenizer make(int k, int stride = 1, bool cls_sep = false, bool canonical = false) {
  KmerOptions o;
  o.k = k;
  o.stride = stride;
  o.add_cls_sep = cls_sep;
  o.canonical = canonical;
  return KmerTokenizer(o);
}

// Reference: each k-mer sliced out and valued base by base; -1 when it holds a byte that is not a base.
int64_t naive_code(const std::string& kmer) {
  int64_t code = 0;
  for (char c : kmer) {
    const char u = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    const std::string bases = "ACGT";
    const size_t v = bases.find(u == 'U' ? 'T' : u);
    if (v == std::string::npos) return -1;
    code = code * 4 + static_cast<int64_t>(v);
  }
  return code;
}

std::string naive_revcomp(const std::string& s) {
  std::string out;
  for (auto it = s.rbegin(); it != s.rend(); ++it) {
    const char u = static_cast<char>(std::toupper(static_cast<unsigned char>(*it)));
    out += u == 'A' ? 'T' : u == 'C' ? 'G' : u == 'G' ? 'C' : 'A';
  }
  return out;
}

std::vector<int32_t> naive_ids(const std::string& seq, int k, int stride, bool canonical) {
  std::vector<int32_t> out;
  for (size_t s = 0; s + static_cast<size_t>(k) <= seq.size(); s += static_cast<size_t>(stride)) {
    const std::string kmer = seq.substr(s, static_cast<size_t>(k));
    int64_t code = naive_code(kmer);
    if (code >= 0 && canonical) code = std::min(code, naive_code(naive_revcomp(kmer)));
    out.push_back(code < 0 ? 1 : static_cast<int32_t>(5 + code));
  }
  return out;
}

}  // namespace

TEST_CASE("kmer: ids by hand", "[dna][kmer]") {
  // Specials [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4; then A=5 C=6 G=7 T=8 for k = 1.
  CHECK(encode(make(1), "ACGTN") == std::vector<int32_t>{5, 6, 7, 8, 1});
  CHECK(encode(make(1), "acgtu") == std::vector<int32_t>{5, 6, 7, 8, 8});
  // k = 2: AC = 1, CG = 6, GT = 11 (+5).
  CHECK(encode(make(2, 1, true), "ACGT") == std::vector<int32_t>{2, 6, 11, 16, 3});
  // k = 3, stride 3 over ACGTACGTA: ACG = 6, TAC = 49, GTA = 44 (+5).
  CHECK(encode(make(3, 3), "ACGTACGTA") == std::vector<int32_t>{11, 54, 49});
  CHECK(encode(make(3, 3), "ACGTACGT") == std::vector<int32_t>{11, 54});  // the partial "GT" is no token
  CHECK(encode(make(3, 1), "ACNGT") == std::vector<int32_t>{1, 1, 1});
  CHECK(encode(make(6, 1, true), "ACGT") == std::vector<int32_t>{2, 3});  // shorter than k
  CHECK(encode(make(6), "").empty());
  // k = 6: AAAAAA = 5 and TTTTTT = 5 + 4095.
  CHECK(encode(make(6), "AAAAAA") == std::vector<int32_t>{5});
  CHECK(encode(make(6), "tttttt") == std::vector<int32_t>{4100});
  // canonical: TT -> AA (5), GT -> AC (6), AC stays (6), CG is its own reverse complement (11).
  // canonical, k = 2: TT -> AA (5), TG -> CA (9), GT -> AC (6), TA is its own (17), AC (6), CG (11).
  CHECK(encode(make(2, 1, false, true), "TTGTACG") == std::vector<int32_t>{5, 9, 6, 17, 6, 11});
  CHECK(make(6, 1, true).count(10) == 7);
  CHECK(make(6, 6).count(12) == 2);
  CHECK(make(6, 6).count(17) == 2);
  CHECK(make(12).vocab().size == 5 + (size_t{1} << 24));
}

TEST_CASE("kmer: matches the naive reference for every k, stride and canonical", "[dna][kmer]") {
  std::mt19937 rng(12345);
  const std::string alphabet = "ACGTACGTACGTacgtNnRu";
  for (int k = 1; k <= 12; ++k) {
    for (int stride : {1, 2, k}) {
      for (bool canonical : {false, true}) {
        for (bool cls_sep : {false, true}) {
          const KmerTokenizer t = make(k, stride, cls_sep, canonical);
          for (int trial = 0; trial < 20; ++trial) {
            // Mostly short reads; some long enough to cross the stride-1 encoder's 1024-window blocks.
            std::string seq(trial < 16 ? rng() % 200 : 1000 + rng() % 1600, 'A');
            for (char& c : seq) c = alphabet[rng() % alphabet.size()];
            std::vector<int32_t> want = naive_ids(seq, k, stride, canonical);
            if (cls_sep) {
              want.insert(want.begin(), 2);  // [CLS], [SEP] in the default special tokens
              want.push_back(3);
            }
            INFO("k=" << k << " stride=" << stride << " canonical=" << canonical << " cls_sep=" << cls_sep
                      << " seq=" << seq);
            REQUIRE(encode(t, seq) == want);
          }
        }
      }
    }
  }
}

TEST_CASE("kmer: vocabulary file overrides the order; unknown k-mers are [UNK]", "[dna][kmer]") {
  dna_test::TempDir dir;
  dna_test::spit(dir / "vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nTT\nAA\r\nGT\nca\n");
  KmerOptions o;
  o.k = 2;
  o.add_cls_sep = true;
  o.vocab_path = dir / "vocab.txt";
  const KmerTokenizer t(o);
  CHECK(t.vocab().size == 9);
  // AA=6, AC (absent)=UNK 1, CA=8, GT=7, TT=5.
  CHECK(encode(t, "AACATTGT") == std::vector<int32_t>{2, 6, 1, 8, 1, 5, 1, 7, 3});
  // A second tokenizer with the same file and options shares the loaded table.
  const KmerTokenizer again(o);
  CHECK(&again.vocab() == &t.vocab());

  // Special tokens may sit anywhere and have other names.
  dna_test::spit(dir / "v2.txt", "A\nC\n<unk>\nG\nT\n");
  KmerOptions o2;
  o2.k = 1;
  o2.vocab_path = dir / "v2.txt";
  o2.special_tokens = {"<unk>"};
  o2.unk_token = "<unk>";
  CHECK(encode(KmerTokenizer(o2), "GNAT") == std::vector<int32_t>{3, 2, 0, 4});
}

TEST_CASE("kmer: bad options and vocabulary files are clear errors", "[dna][kmer]") {
  dna_test::TempDir dir;
  auto error_of = [](const KmerOptions& o) -> std::string {
    try {
      KmerTokenizer t(o);
    } catch (const std::exception& e) {
      return e.what();
    }
    return "no error";
  };
  KmerOptions o;
  o.k = 13;
  CHECK_THAT(error_of(o), Catch::Contains("k = 13 is out of range; k must be 1 to 12"));
  o.k = 0;
  CHECK_THAT(error_of(o), Catch::Contains("k = 0 is out of range"));
  o = KmerOptions{};
  o.stride = 0;
  CHECK_THAT(error_of(o), Catch::Contains("stride = 0 must be 1 or more"));
  o = KmerOptions{};
  o.special_tokens = {"[PAD]", "[PAD]", "[UNK]"};
  CHECK_THAT(error_of(o), Catch::Contains("special_tokens lists '[PAD]' twice"));
  o = KmerOptions{};
  o.special_tokens = {"[PAD]"};
  CHECK_THAT(error_of(o), Catch::Contains("unk_token '[UNK]' is not in special_tokens [[PAD]]"));
  o = KmerOptions{};
  o.special_tokens = {"[UNK]"};
  o.add_cls_sep = true;
  CHECK_THAT(error_of(o), Catch::Contains("add_cls_sep needs cls_token '[CLS]' and sep_token '[SEP]'"));

  struct Case {
    std::string text;
    std::string error;
  };
  const std::vector<Case> files = {
      {"[UNK]\nAC\nACG\n", "v.txt:3: 'ACG' is neither a 2-mer of A/C/G/T nor a special token"},
      {"[UNK]\nAN\n", "v.txt:2: 'AN' is neither a 2-mer"},
      {"[UNK]\nAC\nac\n", "v.txt:3: k-mer 'ac' appears twice (first on line 2)"},
      {"[UNK]\n[UNK]\n", "v.txt:2: token '[UNK]' appears twice"},
      {"[UNK]\n\nAC\n", "v.txt:3: a blank line comes before this token"},
      {"[PAD]\nAC\n", "unk_token '[UNK]' is not in vocabulary file"},
  };
  for (const Case& c : files) {
    dna_test::spit(dir / "v.txt", c.text);
    o = KmerOptions{};
    o.k = 2;
    o.vocab_path = dir / "v.txt";
    INFO(c.text);
    CHECK_THAT(error_of(o), Catch::Contains(c.error));
    // Distinct contents must not be served from the cache of an earlier file of the same name.
    std::filesystem::remove(dir / "v.txt");
  }
  o.vocab_path = dir / "missing.txt";
  CHECK_THAT(error_of(o), Catch::Contains("cannot open vocabulary file '" + dir / "missing.txt" + "'"));
}
