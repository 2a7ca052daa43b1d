// A compiled split pattern on PCRE2 (8-bit, UTF + UCP, JIT when available).
//
// What: Hugging Face writes its patterns for Oniguruma and tiktoken for fancy-regex; both dialects'
// lookahead, possessive quantifiers and \p{..} classes are PCRE2 syntax too. Lifecycle: compiled
// once. Threading: find_all may run concurrently (match data is per thread). Errors: a pattern that
// does not compile throws TokenizerError with PCRE2's message and offset.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace seqflow::text {

class Regex {
 public:
  explicit Regex(const std::string& pattern);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;
  /// Appends the byte spans of all non-overlapping matches in `s`, left to right.
  void find_all(std::string_view s, std::vector<std::pair<size_t, size_t>>& out) const;
  const std::string& pattern() const { return pattern_; }

 private:
  std::string pattern_;
  void* code_ = nullptr;  // pcre2_code_8*
};

}  // namespace seqflow::text
