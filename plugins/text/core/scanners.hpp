// Hand-written pre-tokenizers for the split patterns most tokenizers use, equal to PCRE2 running the
// pattern (checked on every test input and on random strings in tests/text/scanner_test.cpp).
//
// What: GPT-2's (Hugging Face ByteLevel, tiktoken r50k/p50k), Llama-3's and Qwen2/3's (also npm
// tiktoken's cl100k), and tiktoken's cl100k_base patterns, recognised by their exact text; o200k and
// any other pattern run on PCRE2. Why: the regex engine dominates the cost of byte-level BPE; these
// patterns reduce to a few character classes and one-character look-aheads. Character classes are
// PCRE2's (Unicode 14: characters assigned later are unassigned; \s adds U+180E).
// Threading: stateless, reentrant.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace seqflow::text {

enum class Scanner { kNone, kGpt2, kLlama3, kQwen, kCl100k };

/// The scanner for `pattern`, or kNone.
Scanner scanner_for(const std::string& pattern);
/// Appends the matches of the scanner's pattern in `s` (offsets + base), as Regex::find_all would.
/// The patterns match every character, so the matches cover `s`.
void scan(Scanner k, std::string_view s, uint32_t base, std::vector<std::pair<uint32_t, uint32_t>>& out);

}  // namespace seqflow::text
