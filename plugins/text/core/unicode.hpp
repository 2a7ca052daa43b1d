// Unicode helpers of the text module: UTF-8 decoding, the character classes the tokenizers test,
// normalization forms and lowercasing.
//
// What: thin functions over utf8proc (Debian libutf8proc-dev, Unicode 15.0 tables) and, for the
// Alphabetic property and script ages, ICU 72. utf8proc rather
// than ICU because it is a small C library whose per-code-point property look-ups (category,
// combining class, decomposition) are all the tokenizers need, and PCRE2 carries its own tables for
// the regex path. Lifecycle: stateless. Threading: every function is reentrant. Errors: none; invalid
// UTF-8 decodes as U+FFFD one byte at a time, as Rust's from_utf8_lossy and SentencePiece do.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace seqflow::text {

/// Decodes the code point at s[i]; sets `len` to its byte length (1 for an invalid byte, which
/// yields 0xFFFD). `i` must be < s.size().
char32_t decode_utf8(std::string_view s, size_t i, size_t& len);
/// Byte length of the UTF-8 sequence starting with lead byte `b` (1 for an invalid lead byte).
inline size_t utf8_len(unsigned char b) {
  return b < 0x80 ? 1 : b < 0xC2 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : b < 0xF5 ? 4 : 1;
}
void append_utf8(std::string& out, char32_t c);
/// Whether `s` is valid UTF-8 (WTF-8 surrogates count as invalid).
bool valid_utf8(std::string_view s);

bool is_whitespace(char32_t c);       // the White_Space property (Rust char::is_whitespace)
bool is_letter(char32_t c);           // general category L*
bool is_number(char32_t c);           // N* (Rust char::is_numeric)
bool is_mark(char32_t c);             // M*
bool is_mark_nonspacing(char32_t c);  // Mn
bool is_punctuation(char32_t c);      // P*
bool is_other_cc_cf_co(char32_t c);   // Cc, Cf or Co (the `unicode_categories` crate's is_other)
bool is_word_char(char32_t c);        // Rust regex's \w: Alphabetic, M, Nd, Pc, Join_Control
int combining_class(char32_t c);

enum class NormForm { kNfc, kNfd, kNfkc, kNfkd };
/// Normalizes `s` (valid or lossy-decoded UTF-8) and appends to `out`.
void normalize_append(std::string_view s, NormForm form, std::string& out);
/// Whether a chunk boundary before `c` is safe for normalization: normalizing the text in chunks cut
/// before such characters equals normalizing it whole.
bool norm_boundary_before(char32_t c);
/// Full lowercase mapping of one code point (U+0130 gives two), appended to `out`.
void append_lower(std::string& out, char32_t c);

}  // namespace seqflow::text
