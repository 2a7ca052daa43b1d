#include "seq_ops.hpp"

#include "seq_tables.hpp"

#include <array>
#include <cstring>

namespace seqflow::dna {
namespace {

// One-hot rows of 4 bytes, indexed by the input byte.
constexpr std::array<std::array<uint8_t, 4>, 256> kRowsU8 = [] {
  std::array<std::array<uint8_t, 4>, 256> t{};
  for (size_t i = 0; i < 256; ++i) {
    if (kBaseCode[i] < 4) t[i][kBaseCode[i]] = 1;
  }
  return t;
}();

struct Rows {
  float f[256][4];
};

constexpr Rows make_rows(bool uniform) {
  Rows r{};
  for (size_t i = 0; i < 256; ++i) {
    if (kBaseCode[i] < 4) r.f[i][kBaseCode[i]] = 1.0f;
  }
  if (!uniform) return r;
  // IUPAC: which of A, C, G, T each code stands for.
  const char* codes = "RYSWKMBDHVN";
  const char* sets[] = {"AG", "CT", "CG", "AT", "GT", "AC", "CGT", "AGT", "ACT", "ACG", "ACGT"};
  for (size_t c = 0; codes[c] != 0; ++c) {
    size_t n = 0;
    while (sets[c][n] != 0) ++n;
    for (int lower = 0; lower < 2; ++lower) {
      const size_t byte = static_cast<uint8_t>(codes[c] + (lower != 0 ? 32 : 0));
      for (size_t j = 0; j < n; ++j) r.f[byte][kBaseCode[static_cast<uint8_t>(sets[c][j])]] = 1.0f / n;
    }
  }
  return r;
}

constexpr Rows kRowsZeros = make_rows(false);
constexpr Rows kRowsUniform = make_rows(true);

}  // namespace

void reverse_complement(std::string_view in, char* out) {
  const size_t n = in.size();
  const char* p = in.data();
  for (size_t i = 0; i < n; ++i) out[i] = kComplement[static_cast<uint8_t>(p[n - 1 - i])];
}

void reverse(std::string_view in, char* out) {
  const size_t n = in.size();
  const char* p = in.data();
  for (size_t i = 0; i < n; ++i) out[i] = p[n - 1 - i];
}

size_t count_n(std::string_view seq) {
  size_t count = 0;
  for (char c : seq) count += static_cast<uint8_t>((static_cast<uint8_t>(c) | 0x20) == 'n');
  return count;
}

void onehot_u8(std::string_view seq, uint8_t* out) {
  for (size_t i = 0; i < seq.size(); ++i)
    std::memcpy(out + i * 4, kRowsU8[static_cast<uint8_t>(seq[i])].data(), 4);
}

void onehot_f32(std::string_view seq, float* out, Ambiguous ambiguous) {
  const Rows& rows = ambiguous == Ambiguous::kUniform ? kRowsUniform : kRowsZeros;
  for (size_t i = 0; i < seq.size(); ++i) std::memcpy(out + i * 4, rows.f[static_cast<uint8_t>(seq[i])], 16);
}

void twobit(std::string_view seq, uint8_t* codes, uint8_t* mask) {
  const size_t n = seq.size();
  const auto* p = reinterpret_cast<const uint8_t*>(seq.data());
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint8_t c[8];
    uint8_t m = 0;
    for (size_t j = 0; j < 8; ++j) {
      const uint8_t code = kBaseCode[p[i + j]];
      c[j] = code & 3;
      m = static_cast<uint8_t>(m | ((code >> 2) << (7 - j)));
    }
    codes[i / 4] = static_cast<uint8_t>(c[0] << 6 | c[1] << 4 | c[2] << 2 | c[3]);
    codes[i / 4 + 1] = static_cast<uint8_t>(c[4] << 6 | c[5] << 4 | c[6] << 2 | c[7]);
    mask[i / 8] = m;
  }
  if (i < n) {
    uint8_t m = 0;
    uint8_t b[2] = {0, 0};
    for (size_t j = 0; i + j < n; ++j) {
      const uint8_t code = kBaseCode[p[i + j]];
      b[j / 4] = static_cast<uint8_t>(b[j / 4] | ((code & 3) << (6 - 2 * (j % 4))));
      m = static_cast<uint8_t>(m | ((code >> 2) << (7 - j)));
    }
    codes[i / 4] = b[0];
    if (n - i > 4) codes[i / 4 + 1] = b[1];
    mask[i / 8] = m;
  }
}

}  // namespace seqflow::dna
