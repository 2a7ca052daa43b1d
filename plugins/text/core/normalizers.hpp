// Normalizers (Hugging Face's normalizers/): each rewrites a Text, carrying every output byte's
// original span. Lifecycle, threading, errors: as pipeline.hpp (immutable after construction).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "charsmap.hpp"
#include "pipeline.hpp"
#include "regex.hpp"
#include "unicode.hpp"

namespace seqflow::text {

NormalizerPtr make_unicode_normalizer(NormForm form);
NormalizerPtr make_lowercase();
NormalizerPtr make_strip(bool left, bool right);
NormalizerPtr make_strip_accents();
/// Replace: every non-overlapping match of `pattern` (a literal, or a regex when `regex` is set) by
/// `content`.
NormalizerPtr make_replace(const std::string& pattern, bool regex, const std::string& content);
NormalizerPtr make_prepend(const std::string& prefix);
NormalizerPtr make_bert_normalizer(bool clean_text, bool handle_chinese_chars, bool strip_accents,
                                   bool lowercase);
/// Hugging Face's Precompiled: per grapheme (under 6 bytes) or per character, the shortest rule.
NormalizerPtr make_precompiled(std::shared_ptr<const CharsMap> map);
NormalizerPtr make_sequence(std::vector<NormalizerPtr> items);

/// Calls f(c, begin, end) for every code point of t.s (lossy: invalid bytes come as U+FFFD).
template <class F>
void for_each_char(const std::string& s, F&& f) {
  for (size_t i = 0; i < s.size();) {
    size_t len = 1;
    const auto b = static_cast<unsigned char>(s[i]);
    const char32_t c = b < 0x80 ? b : decode_utf8(s, i, len);
    f(c, i, i + len);
    i += len;
  }
}

}  // namespace seqflow::text
