// Sequence operations behind the dna transforms and encoders: reverse complement, N counting, windows,
// one-hot and 2-bit encodings.
//
// What it is: free functions over byte strings; every per-base step is a table load (seq_tables.hpp),
// never a branch or an allocation. The caller provides the output memory (a record's field buffer).
// Threading: pure functions, safe from any thread. Errors: none (callers validate parameters).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace seqflow::dna {

/// out[i] = complement(in[n-1-i]) with IUPAC codes (case kept). `out` must not overlap `in`.
void reverse_complement(std::string_view in, char* out);
/// out[i] = in[n-1-i]. `out` must not overlap `in`.
void reverse(std::string_view in, char* out);
/// Number of 'N'/'n' bytes.
size_t count_n(std::string_view seq);

/// Windows over a sequence of n bases: they start at 0, stride, 2*stride, ... and stop with the first one
/// that reaches the end (which may be shorter than `length`). A window starting at or past the end is
/// never made, so an empty sequence has none.
struct WindowPlan {
  size_t length;
  size_t stride;
  /// Number of windows for a sequence of n bases.
  size_t count(size_t n) const {
    if (n == 0) return 0;
    if (n <= length) return 1;
    // Window i (start i*stride) reaches the end when i*stride + length >= n.
    const size_t last = (n - length + stride - 1) / stride;  // first i that reaches the end
    // With stride > length, a window may start at or past the end before one reaches it.
    const size_t past = (n + stride - 1) / stride;  // first i with i*stride >= n
    return (last < past ? last : past - 1) + 1;
  }
  size_t start(size_t i) const { return i * stride; }
  size_t size(size_t i, size_t n) const {
    const size_t s = i * stride;
    return n - s < length ? n - s : length;
  }
};

enum class Ambiguous { kZeros, kUniform };

/// One-hot [n, 4] in channel order A, C, G, T (U as T). kZeros: every other byte is all zeros.
void onehot_u8(std::string_view seq, uint8_t* out);
/// kUniform: each IUPAC code spreads 1 over the bases it stands for (N = 0.25 each, R = 0.5 A + 0.5 G, ...);
/// bytes that are not IUPAC codes (gaps) stay all zeros.
void onehot_f32(std::string_view seq, float* out, Ambiguous ambiguous);

/// 2-bit codes A=0, C=1, G=2, T/U=3, four bases per byte, the first base in the two highest bits:
/// `codes` holds (n+3)/4 bytes. Bases that are not A/C/G/T/U are coded 0 and flagged in `mask`: one bit
/// per base, (n+7)/8 bytes, the first base in the highest bit (numpy.unpackbits order).
void twobit(std::string_view seq, uint8_t* codes, uint8_t* mask);

}  // namespace seqflow::dna
