// Normalizer components (see normalizers.hpp). Each follows the Hugging Face implementation of the
// same name; where HF works per character, alignment is per character too.
#include "normalizers.hpp"

#include <utf8proc.h>

namespace seqflow::text {
namespace {

Span span_at(const Text& t, size_t b, size_t e) { return t.span_of(b, e); }

// Applies f(c, out_string) per code point; the output of one code point inherits its span.
template <class F>
void map_chars(const Text& in, Text& out, F&& f) {
  out.track = in.track;
  out.s.reserve(in.s.size());
  std::string buf;
  for_each_char(in.s, [&](char32_t c, size_t b, size_t e) {
    buf.clear();
    f(c, std::string_view(in.s.data() + b, e - b), buf);
    out.push(buf, span_at(in, b, e));
  });
}

class UnicodeNorm : public Normalizer {
 public:
  explicit UnicodeNorm(NormForm f) : form_(f) {}
  void normalize(const Text& in, Text& out) const override {
    out.track = in.track;
    const std::string& s = in.s;
    // Text whose bytes are all below the quick-check bound is already normalized: for NFC every code
    // point below U+0300 (lead byte < 0xCC) is stable; the other forms change some Latin-1 letters.
    const unsigned char bound = form_ == NormForm::kNfc ? 0xCC : 0x80;
    size_t q = 0;
    while (q < s.size() && static_cast<unsigned char>(s[q]) < bound) ++q;
    if (q == s.size()) {
      out = in;
      return;
    }
    size_t i = 0;
    std::string tmp;
    while (i < s.size()) {
      // ASCII before another ASCII byte is stable under every form: copy such runs.
      size_t j = i;
      while (j + 1 < s.size() && static_cast<unsigned char>(s[j]) < 0x80 &&
             static_cast<unsigned char>(s[j + 1]) < 0x80)
        ++j;
      if (j > i) {
        out.copy(in, i, j);
        i = j;
        continue;
      }
      // A chunk: one character and every following one that may interact with it.
      size_t len = 0;
      decode_utf8(s, i, len);
      size_t e = i + len;
      while (e < s.size()) {
        size_t l2 = 0;
        const char32_t c = decode_utf8(s, e, l2);
        if (norm_boundary_before(c)) break;
        e += l2;
      }
      tmp.clear();
      normalize_append(std::string_view(s).substr(i, e - i), form_, tmp);
      if (tmp.size() == e - i && tmp.compare(0, tmp.size(), s, i, e - i) == 0) {
        out.copy(in, i, e);
      } else {
        out.push(tmp, span_at(in, i, e));
      }
      i = e;
    }
  }

 private:
  NormForm form_;
};

class Lowercase : public Normalizer {
 public:
  void normalize(const Text& in, Text& out) const override {
    map_chars(in, out, [](char32_t c, std::string_view, std::string& o) { append_lower(o, c); });
  }
};

class Strip : public Normalizer {
 public:
  Strip(bool l, bool r) : left_(l), right_(r) {}
  void normalize(const Text& in, Text& out) const override {
    out.track = in.track;
    size_t b = 0, e = in.s.size();
    if (left_) {
      while (b < e) {
        size_t len = 0;
        if (!is_whitespace(decode_utf8(in.s, b, len))) break;
        b += len;
      }
    }
    if (right_) {
      while (e > b) {
        size_t k = e - 1;
        while (k > b && (static_cast<unsigned char>(in.s[k]) & 0xC0) == 0x80) --k;
        size_t len = 0;
        if (!is_whitespace(decode_utf8(in.s, k, len))) break;
        e = k;
      }
    }
    out.copy(in, b, e);
  }

 private:
  bool left_, right_;
};

// Hugging Face's StripAccents drops every combining mark (Mn, Mc, Me); BertNormalizer's
// strip_accents drops only Mn.
class StripAccents : public Normalizer {
 public:
  explicit StripAccents(bool nonspacing_only) : mn_only_(nonspacing_only) {}
  void normalize(const Text& in, Text& out) const override {
    map_chars(in, out, [&](char32_t c, std::string_view raw, std::string& o) {
      if (!(mn_only_ ? is_mark_nonspacing(c) : is_mark(c))) o.append(raw);
    });
  }

 private:
  bool mn_only_;
};

class Replace : public Normalizer {
 public:
  Replace(const std::string& pattern, bool regex, const std::string& content)
      : literal_(pattern), content_(content) {
    if (regex) re_ = std::make_unique<Regex>(pattern);
  }
  void normalize(const Text& in, Text& out) const override {
    out.track = in.track;
    std::vector<std::pair<size_t, size_t>> m;
    if (re_) {
      re_->find_all(in.s, m);
    } else if (!literal_.empty()) {
      for (size_t p = in.s.find(literal_); p != std::string::npos;
           p = in.s.find(literal_, p + literal_.size()))
        m.emplace_back(p, p + literal_.size());
    }
    size_t at = 0;
    for (auto [b, e] : m) {
      out.copy(in, at, b);
      if (b == e) continue;
      out.push(content_, span_at(in, b, e));
      at = e;
    }
    out.copy(in, at, in.s.size());
  }

 private:
  std::string literal_, content_;
  std::unique_ptr<Regex> re_;
};

class Prepend : public Normalizer {
 public:
  explicit Prepend(std::string p) : prefix_(std::move(p)) {}
  void normalize(const Text& in, Text& out) const override {
    out.track = in.track;
    if (!in.s.empty()) {
      size_t len = 0;
      decode_utf8(in.s, 0, len);
      out.push(prefix_, span_at(in, 0, len));
    }
    out.copy(in, 0, in.s.size());
  }

 private:
  std::string prefix_;
};

bool is_chinese_char(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
         (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

class BertNorm : public Normalizer {
 public:
  BertNorm(bool clean, bool chinese, bool strip, bool lower)
      : clean_(clean), chinese_(chinese), strip_(strip), lower_(lower) {}
  void normalize(const Text& in, Text& out) const override {
    Text a;
    map_chars(in, a, [&](char32_t c, std::string_view raw, std::string& o) {
      if (clean_) {
        if (c == 0 || c == 0xFFFD) return;
        // Controls go first (so \f and \v vanish although they are White_Space), then whitespace.
        const bool tnr = c == '\t' || c == '\n' || c == '\r';
        if (!tnr && is_other_cc_cf_co(c)) return;
        if (tnr || is_whitespace(c)) {
          o += ' ';
          return;
        }
      }
      if (chinese_ && is_chinese_char(c)) {
        o += ' ';
        o.append(raw);
        o += ' ';
        return;
      }
      o.append(raw);
    });
    if (strip_) {
      Text b;
      UnicodeNorm(NormForm::kNfd).normalize(a, b);
      a = Text();
      StripAccents(true).normalize(b, a);
    }
    if (lower_) {
      Lowercase().normalize(a, out);
    } else {
      out = std::move(a);
    }
  }

 private:
  bool clean_, chinese_, strip_, lower_;
};

class Precompiled : public Normalizer {
 public:
  explicit Precompiled(std::shared_ptr<const CharsMap> m) : map_(std::move(m)) {}
  void normalize(const Text& in, Text& out) const override {
    out.track = in.track;
    const std::string& s = in.s;
    size_t i = 0;
    utf8proc_int32_t state = 0;
    while (i < s.size()) {
      // One extended grapheme cluster [i, g).
      size_t len = 0;
      char32_t prev = decode_utf8(s, i, len);
      size_t g = i + len;
      state = 0;
      while (g < s.size()) {
        size_t l2 = 0;
        const char32_t c = decode_utf8(s, g, l2);
        if (utf8proc_grapheme_break_stateful(static_cast<utf8proc_int32_t>(prev),
                                             static_cast<utf8proc_int32_t>(c), &state))
          break;
        prev = c;
        g += l2;
      }
      std::string_view repl;
      if (g - i < 6 && map_->shortest(std::string_view(s).substr(i, g - i), repl) > 0) {
        out.push(repl, span_at(in, i, g));
      } else {
        for (size_t k = i; k < g;) {
          size_t l3 = 0;
          decode_utf8(s, k, l3);
          if (map_->shortest(std::string_view(s).substr(k, l3), repl) > 0) {
            out.push(repl, span_at(in, k, k + l3));
          } else {
            out.copy(in, k, k + l3);
          }
          k += l3;
        }
      }
      i = g;
    }
  }

 private:
  std::shared_ptr<const CharsMap> map_;
};

class Sequence : public Normalizer {
 public:
  explicit Sequence(std::vector<NormalizerPtr> items) : items_(std::move(items)) {}
  void normalize(const Text& in, Text& out) const override {
    Text cur = in;
    for (const auto& n : items_) {
      Text next;
      n->normalize(cur, next);
      cur = std::move(next);
    }
    out = std::move(cur);
  }

 private:
  std::vector<NormalizerPtr> items_;
};

}  // namespace

NormalizerPtr make_unicode_normalizer(NormForm form) { return std::make_unique<UnicodeNorm>(form); }
NormalizerPtr make_lowercase() { return std::make_unique<Lowercase>(); }
NormalizerPtr make_strip(bool left, bool right) { return std::make_unique<Strip>(left, right); }
NormalizerPtr make_strip_accents() { return std::make_unique<StripAccents>(false); }
NormalizerPtr make_replace(const std::string& pattern, bool regex, const std::string& content) {
  return std::make_unique<Replace>(pattern, regex, content);
}
NormalizerPtr make_prepend(const std::string& prefix) { return std::make_unique<Prepend>(prefix); }
NormalizerPtr make_bert_normalizer(bool clean_text, bool handle_chinese_chars, bool strip_accents,
                                   bool lowercase) {
  return std::make_unique<BertNorm>(clean_text, handle_chinese_chars, strip_accents, lowercase);
}
NormalizerPtr make_precompiled(std::shared_ptr<const CharsMap> map) {
  return std::make_unique<Precompiled>(std::move(map));
}
NormalizerPtr make_sequence(std::vector<NormalizerPtr> items) {
  return std::make_unique<Sequence>(std::move(items));
}

}  // namespace seqflow::text
