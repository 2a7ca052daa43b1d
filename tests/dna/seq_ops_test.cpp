// Reverse complement, N counting, window plans, one-hot and 2-bit encodings against hand-written values
// and against naive reference code written here from the definitions.
#include "seq_ops.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

using namespace seqflow::dna;

namespace {

std::string revcomp(const std::string& s) {
  std::string out(s.size(), '\0');
  reverse_complement(s, out.data());
  return out;
}

// Windows straight from the definition: start at 0, S, 2S, ...; stop after the first window that reaches
// the end; never start at or past the end.
std::vector<std::pair<size_t, size_t>> naive_windows(size_t n, size_t length, size_t stride) {
  std::vector<std::pair<size_t, size_t>> out;
  for (size_t s = 0; s < n; s += stride) {
    const size_t e = std::min(n, s + length);
    out.emplace_back(s, e - s);
    if (e == n) break;
  }
  return out;
}

}  // namespace

TEST_CASE("revcomp: IUPAC codes, case, gaps", "[dna][ops]") {
  CHECK(revcomp("ACGT") == "ACGT");
  CHECK(revcomp("AACG") == "CGTT");
  CHECK(revcomp("acgtN") == "Nacgt");
  // R<->Y, K<->M, S, W self, B<->V, D<->H, U -> A.
  CHECK(revcomp("RYKMSWBDHVU") == "ABDHVWSKMRY");
  CHECK(revcomp("ry-.*") == "*.-ry");
  CHECK(revcomp("") == "");
  std::string rev(5, '\0');
  reverse("ABCDE", rev.data());
  CHECK(rev == "EDCBA");
}

TEST_CASE("count_n counts N in either case only", "[dna][ops]") {
  CHECK(count_n("") == 0);
  CHECK(count_n("ACGT") == 0);
  CHECK(count_n("NnANRYn") == 4);
}

TEST_CASE("window plan: starts at 0, S, 2S; stops at the first window reaching the end", "[dna][ops]") {
  const WindowPlan p{4, 2};
  // n = 9: windows [0,4) [2,6) [4,8) [6,9) - the last reaches the end and is 3 long.
  REQUIRE(p.count(9) == 4);
  CHECK(p.start(3) == 6);
  CHECK(p.size(3, 9) == 3);
  CHECK(p.count(8) == 3);  // [0,4) [2,6) [4,8)
  CHECK(p.count(4) == 1);
  CHECK(p.count(3) == 1);
  CHECK(p.size(0, 3) == 3);
  CHECK(p.count(0) == 0);
  for (size_t length : {1, 3, 5, 10}) {
    for (size_t stride : {1, 2, 3, 7, 12}) {
      const WindowPlan plan{length, stride};
      for (size_t n = 0; n < 40; ++n) {
        auto expected = naive_windows(n, length, stride);
        INFO("L=" << length << " S=" << stride << " n=" << n);
        REQUIRE(plan.count(n) == expected.size());
        for (size_t i = 0; i < expected.size(); ++i) {
          CHECK(plan.start(i) == expected[i].first);
          CHECK(plan.size(i, n) == expected[i].second);
        }
      }
    }
  }
}

TEST_CASE("onehot: u8 and f32 rows, ambiguous zeros or uniform", "[dna][ops]") {
  const std::string seq = "AcGtUNR-";
  std::vector<uint8_t> u8(seq.size() * 4, 0xee);
  onehot_u8(seq, u8.data());
  const std::vector<uint8_t> expected_u8 = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1,
                                            0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  CHECK(u8 == expected_u8);

  std::vector<float> f(seq.size() * 4, -1.0f);
  onehot_f32(seq, f.data(), Ambiguous::kZeros);
  std::vector<float> expected(expected_u8.begin(), expected_u8.end());
  CHECK(f == expected);

  onehot_f32(seq, f.data(), Ambiguous::kUniform);
  expected[5 * 4 + 0] = expected[5 * 4 + 1] = expected[5 * 4 + 2] = expected[5 * 4 + 3] = 0.25f;  // N
  expected[6 * 4 + 0] = expected[6 * 4 + 2] = 0.5f;                                               // R = A/G
  CHECK(f == expected);
  onehot_f32("b", f.data(), Ambiguous::kUniform);  // B = C/G/T
  CHECK(f[0] == 0.0f);
  CHECK(f[1] == Approx(1.0 / 3));
  CHECK(f[2] == Approx(1.0 / 3));
  CHECK(f[3] == Approx(1.0 / 3));
}

TEST_CASE("twobit: packed codes high bits first, N mask", "[dna][ops]") {
  // ACGT TGCA NA -> 00 01 10 11 = 0x1b, 11 10 01 00 = 0xe4, (N=0)00 00 then padding = 0x00.
  const std::string seq = "ACGTTGCANa";
  std::vector<uint8_t> codes((seq.size() + 3) / 4, 0xff), mask((seq.size() + 7) / 8, 0xff);
  twobit(seq, codes.data(), mask.data());
  CHECK(codes == std::vector<uint8_t>{0x1b, 0xe4, 0x00});
  // Base 8 (N) is the highest bit of mask byte 1.
  CHECK(mask == std::vector<uint8_t>{0x00, 0x80});

  // Against a naive packer for every length up to 40.
  std::string s;
  for (size_t n = 0; n <= 40; ++n) {
    const char* alphabet = "ACGTNacgtuRX";
    s.assign(n, 'A');
    for (size_t i = 0; i < n; ++i) s[i] = alphabet[(i * 7 + n) % 12];
    std::vector<uint8_t> c((n + 3) / 4, 0xaa), m((n + 7) / 8, 0xaa);
    twobit(s, c.data(), m.data());
    std::vector<uint8_t> ce((n + 3) / 4, 0), me((n + 7) / 8, 0);
    for (size_t i = 0; i < n; ++i) {
      const char u = static_cast<char>(std::toupper(s[i]));
      int code = u == 'A' ? 0 : u == 'C' ? 1 : u == 'G' ? 2 : (u == 'T' || u == 'U') ? 3 : -1;
      if (code < 0) {
        me[i / 8] = static_cast<uint8_t>(me[i / 8] | (0x80 >> (i % 8)));
        code = 0;
      }
      ce[i / 4] = static_cast<uint8_t>(ce[i / 4] | (code << (6 - 2 * (i % 4))));
    }
    INFO("n=" << n);
    CHECK(c == ce);
    CHECK(m == me);
  }
}
