// Scanners for the common split patterns (see scanners.hpp). Each alternative of a pattern is tried
// in order at each position, with the backtracking PCRE2 would do spelled out.
#include "scanners.hpp"

#include <unicode/uchar.h>
#include <utf8proc.h>

#include "pre_tokenizers.hpp"
#include "unicode.hpp"

namespace seqflow::text {
namespace {

enum : uint8_t { kS = 1, kL = 2, kN = 4 };

// Class bits of every code point as PCRE2 10.42 (Unicode 14) sees \s, \p{L} and \p{N}.
const std::vector<uint8_t>& classes() {
  static const std::vector<uint8_t> t = [] {
    std::vector<uint8_t> v(0x110000, 0);
    for (char32_t c = 0; c < 0x110000; ++c) {
      const auto k = utf8proc_category(static_cast<utf8proc_int32_t>(c));
      uint8_t bits = 0;
      if (is_whitespace(c) || (k >= UTF8PROC_CATEGORY_ZS && k <= UTF8PROC_CATEGORY_ZP) || c == 0x180E)
        bits |= kS;
      if (k >= UTF8PROC_CATEGORY_LU && k <= UTF8PROC_CATEGORY_LO) bits |= kL;
      if (k >= UTF8PROC_CATEGORY_ND && k <= UTF8PROC_CATEGORY_NO) bits |= kN;
      if ((bits & (kL | kN)) != 0 && c >= 0x2000) {
        UVersionInfo age;
        u_charAge(static_cast<UChar32>(c), age);
        if (age[0] >= 15) bits &= ~(kL | kN);
      }
      v[c] = bits;
    }
    return v;
  }();
  return t;
}

struct Cursor {
  std::string_view s;
  const std::vector<uint8_t>& cls;
  // Class and length of the character at i (i < size).
  uint8_t at(size_t i, size_t& len) const {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      len = 1;
      return cls[b];
    }
    const char32_t c = decode_utf8(s, i, len);
    return cls[c];
  }
  char32_t cp(size_t i) const {
    size_t len;
    return decode_utf8(s, i, len);
  }
  bool crlf(size_t i) const { return s[i] == '\r' || s[i] == '\n'; }
  bool other(uint8_t c) const { return (c & (kS | kL | kN)) == 0; }
};

inline char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

// 's 't 're 've 'm 'll 'd after an apostrophe at i; returns the match length in bytes or 0.
size_t contraction(const Cursor& u, size_t i, bool icase) {
  const std::string_view s = u.s;
  if (s[i] != '\'' || i + 1 >= s.size()) return 0;
  auto eq = [&](size_t k, char want) {
    if (k >= s.size()) return false;
    return icase ? lower(s[k]) == want : s[k] == want;
  };
  // (?i) 's also matches U+017F (long s), which folds to s.
  if (icase && s.compare(i + 1, 2, "\xC5\xBF") == 0) return 3;
  const char c = icase ? lower(s[i + 1]) : s[i + 1];
  if (c == 's' || c == 't' || c == 'm' || c == 'd') return 2;
  if (c == 'r' && eq(i + 2, 'e')) return 3;
  if (c == 'v' && eq(i + 2, 'e')) return 3;
  if (c == 'l' && eq(i + 2, 'l')) return 3;
  return 0;
}

// End of the run of characters whose class satisfies pred, from i.
template <class P>
size_t run(const Cursor& u, size_t i, P&& pred) {
  while (i < u.s.size()) {
    size_t len;
    const uint8_t c = u.at(i, len);
    if (!pred(c)) break;
    i += len;
  }
  return i;
}

// Whitespace alternatives shared by the families, at a whitespace character i:
// crlf_rule (\s*[\r\n]+ or \s*[\r\n]): up to the last CR/LF of the run; ws_to_end (\s++$): the run
// when it reaches the end; then \s+(?!\S): the run, less its last character unless it ends the text;
// then one or more whitespace characters.
size_t whitespace(const Cursor& u, size_t i, bool crlf_rule, bool ws_to_end) {
  const size_t n = u.s.size();
  size_t j = i, last_nl = SIZE_MAX, last_start = i;
  while (j < n) {
    size_t len;
    if ((u.at(j, len) & kS) == 0) break;
    if (u.crlf(j)) last_nl = j;
    last_start = j;
    j += len;
  }
  if (ws_to_end && j == n) return n;
  if (crlf_rule && last_nl != SIZE_MAX) return last_nl + 1;
  if (j == n) return n;
  if (last_start > i) return last_start;
  return j;
}

// Qwen2/3, Llama-3 and npm cl100k: (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,k}|
//  ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+ ; tiktoken's cl100k adds \s++$ before the CR/LF rule.
size_t next_llama(const Cursor& u, size_t i, int digits, bool ws_to_end) {
  const size_t n = u.s.size();
  size_t len0;
  const uint8_t c0 = u.at(i, len0);
  if (const size_t k = contraction(u, i, true)) return i + k;
  const bool c0_prefix = (c0 & (kL | kN)) == 0 && !u.crlf(i);
  if (c0_prefix && i + len0 < n) {
    size_t len1;
    if (u.at(i + len0, len1) & kL) return run(u, i + len0, [](uint8_t c) { return (c & kL) != 0; });
  }
  if (c0 & kL) return run(u, i, [](uint8_t c) { return (c & kL) != 0; });
  if (c0 & kN) {
    size_t j = i;
    for (int d = 0; d < digits && j < n; ++d) {
      size_t len;
      if ((u.at(j, len) & kN) == 0) break;
      j += len;
    }
    return j;
  }
  auto other_then_crlf = [&](size_t j) {
    j = run(u, j, [&](uint8_t c) { return u.other(c); });
    while (j < n && u.crlf(j)) ++j;
    return j;
  };
  if (u.s[i] == ' ' && i + 1 < n) {
    size_t len1;
    if (u.other(u.at(i + 1, len1))) return other_then_crlf(i + 1);
  }
  if (u.other(c0)) return other_then_crlf(i);
  return whitespace(u, i, true, ws_to_end);
}

// GPT-2: 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
size_t next_gpt2(const Cursor& u, size_t i) {
  const size_t n = u.s.size();
  if (const size_t k = contraction(u, i, false)) return i + k;
  size_t j = i;
  if (u.s[i] == ' ' && i + 1 < n) j = i + 1;
  size_t len;
  const uint8_t c = u.at(j, len);
  if (c & kL) return run(u, j, [](uint8_t x) { return (x & kL) != 0; });
  if (c & kN) return run(u, j, [](uint8_t x) { return (x & kN) != 0; });
  if (u.other(c)) return run(u, j, [&](uint8_t x) { return u.other(x); });
  return whitespace(u, i, false, false);
}

}  // namespace

Scanner scanner_for(const std::string& p) {
  static const std::string kQwen =
      R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
  static const std::string kLlama3 =
      R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
  static const std::string kCl100k =
      R"('(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s)";
  static const std::string kR50k =
      R"('(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s)";
  if (p == kQwen) return Scanner::kQwen;
  if (p == kLlama3) return Scanner::kLlama3;
  if (p == kCl100k) return Scanner::kCl100k;
  if (p == kGpt2Pattern || p == kR50k) return Scanner::kGpt2;
  return Scanner::kNone;
}

void scan(Scanner k, std::string_view s, uint32_t base, std::vector<std::pair<uint32_t, uint32_t>>& out) {
  const Cursor u{s, classes()};
  for (size_t i = 0; i < s.size();) {
    size_t j;
    switch (k) {
      case Scanner::kQwen: j = next_llama(u, i, 1, false); break;
      case Scanner::kLlama3: j = next_llama(u, i, 3, false); break;
      case Scanner::kCl100k: j = next_llama(u, i, 3, true); break;
      default: j = next_gpt2(u, i); break;
    }
    out.emplace_back(base + static_cast<uint32_t>(i), base + static_cast<uint32_t>(j));
    i = j;
  }
}

}  // namespace seqflow::text
