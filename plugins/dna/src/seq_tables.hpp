// Byte-indexed lookup tables shared by the DNA readers and encoders, built at compile time.
//
// What it is: 256-entry tables that turn a per-base decision into one load, so the hot loops have no
// per-base branches. Immutable; safe from any thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace seqflow::dna {

/// 2-bit code of a base in lexicographic order (A=0, C=1, G=2, T=U=3), either case; 4 for anything else
/// (N, the other IUPAC ambiguity codes, gaps).
inline constexpr std::array<uint8_t, 256> kBaseCode = [] {
  std::array<uint8_t, 256> t{};
  for (auto& v : t) v = 4;
  t['A'] = t['a'] = 0;
  t['C'] = t['c'] = 1;
  t['G'] = t['g'] = 2;
  t['T'] = t['t'] = t['U'] = t['u'] = 3;
  return t;
}();

/// IUPAC complement, case kept (U complements to A). Bytes that are not IUPAC codes map to themselves.
inline constexpr std::array<char, 256> kComplement = [] {
  std::array<char, 256> t{};
  for (size_t i = 0; i < 256; ++i) t[i] = static_cast<char>(i);
  const char* from = "ACGTUMRWSYKVHDBN";
  const char* to = "TGCAAKYWSRMBDHVN";
  for (size_t i = 0; from[i] != 0; ++i) {
    t[static_cast<uint8_t>(from[i])] = to[i];
    t[static_cast<uint8_t>(from[i] + 32)] = static_cast<char>(to[i] + 32);
  }
  return t;
}();

/// 1 for bytes a sequence line may not hold. Allowed: ASCII letters (all IUPAC codes, either case, and
/// the amino-acid letters), '-' and '.' (gaps) and '*' (stop).
inline constexpr std::array<uint8_t, 256> kSeqInvalid = [] {
  std::array<uint8_t, 256> t{};
  for (size_t i = 0; i < 256; ++i) {
    const bool letter = (i >= 'A' && i <= 'Z') || (i >= 'a' && i <= 'z');
    t[i] = (letter || i == '-' || i == '.' || i == '*') ? 0 : 1;
  }
  return t;
}();

}  // namespace seqflow::dna
