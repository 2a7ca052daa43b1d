// Pre-tokenizer components (see pre_tokenizers.hpp), after Hugging Face's of the same names.
#include "pre_tokenizers.hpp"

#include <unicode/uchar.h>
#include <unicode/uscript.h>

#include "normalizers.hpp"
#include "scanners.hpp"
#include "unicode.hpp"

namespace seqflow::text {

const char* const kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

SplitBehavior parse_split_behavior(const std::string& n, const std::string& where) {
  if (n == "Removed") return SplitBehavior::kRemoved;
  if (n == "Isolated") return SplitBehavior::kIsolated;
  if (n == "MergedWithPrevious") return SplitBehavior::kMergedWithPrevious;
  if (n == "MergedWithNext") return SplitBehavior::kMergedWithNext;
  if (n == "Contiguous") return SplitBehavior::kContiguous;
  throw TokenizerError(where + ": unknown split behavior \"" + n +
                       "\" (Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous)");
}

namespace {

using Ranges = std::vector<std::pair<uint32_t, uint32_t>>;
struct Part {
  uint32_t b, e;
  bool match;
};

// Hugging Face's NormalizedString::split over [b, e): `parts` cover it in order.
void apply_behavior(const std::vector<Part>& parts, SplitBehavior beh, Ranges& out) {
  switch (beh) {
    case SplitBehavior::kRemoved:
      for (const auto& p : parts)
        if (!p.match && p.e > p.b) out.emplace_back(p.b, p.e);
      return;
    case SplitBehavior::kIsolated:
      for (const auto& p : parts)
        if (p.e > p.b) out.emplace_back(p.b, p.e);
      return;
    case SplitBehavior::kContiguous: {
      Ranges acc;
      bool prev = false;
      for (const auto& p : parts) {
        if (p.match == prev && !acc.empty()) acc.back().second = p.e;
        else acc.emplace_back(p.b, p.e);
        prev = p.match;
      }
      for (auto r : acc)
        if (r.second > r.first) out.push_back(r);
      return;
    }
    case SplitBehavior::kMergedWithPrevious: {
      Ranges acc;
      bool prev = false;
      for (const auto& p : parts) {
        if (p.match && !prev && !acc.empty()) acc.back().second = p.e;
        else acc.emplace_back(p.b, p.e);
        prev = p.match;
      }
      for (auto r : acc)
        if (r.second > r.first) out.push_back(r);
      return;
    }
    case SplitBehavior::kMergedWithNext: {
      Ranges acc;
      bool prev = false;
      for (size_t k = parts.size(); k-- > 0;) {
        const auto& p = parts[k];
        if (p.match && !prev && !acc.empty()) acc.back().first = p.b;
        else acc.emplace_back(p.b, p.e);
        prev = p.match;
      }
      for (size_t k = acc.size(); k-- > 0;)
        if (acc[k].second > acc[k].first) out.push_back(acc[k]);
      return;
    }
  }
}

// Parts of [b, e) from matches (absolute spans, sorted, non-overlapping).
void parts_from_matches(uint32_t b, uint32_t e, const std::vector<std::pair<size_t, size_t>>& m, bool invert,
                        std::vector<Part>& parts) {
  parts.clear();
  uint32_t prev = b;
  for (auto [mb, me] : m) {
    if (prev != mb) parts.push_back({prev, static_cast<uint32_t>(mb), invert});
    parts.push_back({static_cast<uint32_t>(mb), static_cast<uint32_t>(me), !invert});
    prev = static_cast<uint32_t>(me);
  }
  if (prev != e) parts.push_back({prev, e, invert});
}

// Splitting by a per-character predicate: each matching character is its own delimiter.
template <class Pred>
void split_chars(Pieces& p, Pred&& pred, SplitBehavior beh) {
  Ranges out;
  std::vector<Part> parts;
  for (auto [b, e] : p.ranges) {
    parts.clear();
    uint32_t prev = b;
    for (uint32_t i = b; i < e;) {
      size_t len = 0;
      const char32_t c = decode_utf8(p.text.s, i, len);
      if (pred(c)) {
        if (prev != i) parts.push_back({prev, i, false});
        parts.push_back({i, static_cast<uint32_t>(i + len), true});
        prev = static_cast<uint32_t>(i + len);
      }
      i += static_cast<uint32_t>(len);
    }
    if (prev != e) parts.push_back({prev, e, false});
    apply_behavior(parts, beh, out);
  }
  p.ranges = std::move(out);
}

class SplitRegex : public PreTokenizer {
 public:
  SplitRegex(const std::string& pattern, bool literal, SplitBehavior b, bool invert)
      : literal_(literal ? pattern : ""), beh_(b), invert_(invert) {
    if (!literal) {
      re_ = std::make_unique<Regex>(pattern);  // compiled anyway: an invalid pattern is an error
      scanner_ = scanner_for(pattern);
    }
  }
  void split(Pieces& p) const override {
    thread_local Ranges out;
    thread_local std::vector<Part> parts;
    thread_local std::vector<std::pair<size_t, size_t>> m;
    out.clear();
    // A scanner's matches cover the text: kept whole (Isolated, or Removed inverted), they are the pieces.
    const bool direct = scanner_ != Scanner::kNone && !invert_
                            ? beh_ == SplitBehavior::kIsolated
                            : scanner_ != Scanner::kNone && beh_ == SplitBehavior::kRemoved;
    for (auto [b, e] : p.ranges) {
      m.clear();
      std::string_view sub(p.text.s.data() + b, e - b);
      if (direct) {
        scan(scanner_, sub, b, out);
        continue;
      }
      if (scanner_ != Scanner::kNone) {
        thread_local Ranges sm;
        sm.clear();
        scan(scanner_, sub, 0, sm);
        for (auto [x, y] : sm) m.emplace_back(x, y);
      } else if (re_) {
        re_->find_all(sub, m);
      } else if (!literal_.empty()) {
        for (size_t k = sub.find(literal_); k != std::string_view::npos;
             k = sub.find(literal_, k + literal_.size()))
          m.emplace_back(k, k + literal_.size());
      } else {
        // An empty pattern matches (emptily) at every character boundary, as Hugging Face's does.
        for (size_t k = 0; k <= sub.size();
             k += k < sub.size() ? utf8_len(static_cast<unsigned char>(sub[k])) : 1)
          m.emplace_back(k, k);
      }
      for (auto& x : m) x = {x.first + b, x.second + b};
      parts_from_matches(b, e, m, invert_, parts);
      apply_behavior(parts, beh_, out);
    }
    p.ranges.assign(out.begin(), out.end());
  }

 private:
  std::unique_ptr<Regex> re_;
  Scanner scanner_ = Scanner::kNone;
  std::string literal_;
  SplitBehavior beh_;
  bool invert_;
};

// Rewrites every range through f(text, b, e, first, out), which appends to the new Text.
template <class F>
void rewrite(Pieces& p, F&& f) {
  Pieces q;
  q.text.track = p.text.track;
  q.text.s.reserve(p.text.s.size() + p.ranges.size() * 3);
  for (size_t k = 0; k < p.ranges.size(); ++k) {
    auto [b, e] = p.ranges[k];
    f(p.text, b, e, q);
  }
  p = std::move(q);
}

class ByteLevelPre : public PreTokenizer {
 public:
  ByteLevelPre(bool prefix, bool use_regex) : prefix_(prefix) {
    if (use_regex) re_ = std::make_unique<SplitRegex>(kGpt2Pattern, false, SplitBehavior::kIsolated, false);
  }
  void split(Pieces& p) const override {
    if (prefix_) {
      rewrite(p, [](const Text& t, uint32_t b, uint32_t e, Pieces& q) {
        const auto nb = static_cast<uint32_t>(q.text.s.size());
        if (t.s[b] != ' ') q.text.push(' ', t.span_of(b, b + 1));
        q.text.copy(t, b, e);
        q.ranges.emplace_back(nb, static_cast<uint32_t>(q.text.s.size()));
      });
    }
    if (re_) re_->split(p);
  }

 private:
  bool prefix_;
  std::unique_ptr<SplitRegex> re_;
};

// Hugging Face's Whitespace: the matches of \w+|[^\w\s]+ under Rust regex's Unicode classes (not
// Oniguruma's or PCRE2's: its \w holds Join_Control and every Alphabetic character).
class Whitespace : public PreTokenizer {
 public:
  void split(Pieces& p) const override {
    Ranges out;
    const std::string& s = p.text.s;
    for (auto [b, e] : p.ranges) {
      for (uint32_t i = b; i < e;) {
        size_t len = 0;
        const char32_t c = decode_utf8(s, i, len);
        if (is_whitespace(c)) {
          i += static_cast<uint32_t>(len);
          continue;
        }
        const bool word = is_word_char(c);
        uint32_t j = i + static_cast<uint32_t>(len);
        while (j < e) {
          size_t l2 = 0;
          const char32_t d = decode_utf8(s, j, l2);
          if (word ? !is_word_char(d) : (is_word_char(d) || is_whitespace(d))) break;
          j += static_cast<uint32_t>(l2);
        }
        out.emplace_back(i, j);
        i = j;
      }
    }
    p.ranges = std::move(out);
  }
};

class WhitespaceSplit : public PreTokenizer {
 public:
  void split(Pieces& p) const override {
    split_chars(
        p, [](char32_t c) { return is_whitespace(c); }, SplitBehavior::kRemoved);
  }
};

bool is_bert_punct(char32_t c) {
  if (c < 0x80)
    return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
  return is_punctuation(c);
}

class BertPre : public PreTokenizer {
 public:
  void split(Pieces& p) const override {
    split_chars(
        p, [](char32_t c) { return is_whitespace(c); }, SplitBehavior::kRemoved);
    split_chars(p, is_bert_punct, SplitBehavior::kIsolated);
  }
};

class Punctuation : public PreTokenizer {
 public:
  explicit Punctuation(SplitBehavior b) : beh_(b) {}
  void split(Pieces& p) const override { split_chars(p, is_bert_punct, beh_); }

 private:
  SplitBehavior beh_;
};

class Digits : public PreTokenizer {
 public:
  explicit Digits(bool individual) : individual_(individual) {}
  void split(Pieces& p) const override {
    split_chars(
        p, [](char32_t c) { return is_number(c); },
        individual_ ? SplitBehavior::kIsolated : SplitBehavior::kContiguous);
  }

 private:
  bool individual_;
};

class Metaspace : public PreTokenizer {
 public:
  Metaspace(std::string rep, int prepend, bool split)
      : rep_(std::move(rep)), prepend_(prepend), split_(split) {}
  void split(Pieces& p) const override {
    rewrite(p, [&](const Text& t, uint32_t b, uint32_t e, Pieces& q) {
      const auto nb = static_cast<uint32_t>(q.text.s.size());
      const bool starts_with_rep = t.s.compare(b, rep_.size(), rep_) == 0 || (b < e && t.s[b] == ' ');
      const bool at_start = b == 0 && p_first_;
      if (!starts_with_rep && (prepend_ == 2 || (prepend_ == 1 && at_start)))
        q.text.push(rep_, t.span_of(b, b + 1));
      for (uint32_t i = b; i < e; ++i) {
        if (t.s[i] == ' ') q.text.push(rep_, t.span_of(i, i + 1));
        else q.text.copy(t, i, i + 1);
      }
      q.ranges.emplace_back(nb, static_cast<uint32_t>(q.text.s.size()));
    });
    if (split_) {
      SplitRegex s(rep_, true, SplitBehavior::kMergedWithNext, false);
      s.split(p);
    }
  }
  // Whether text offset 0 is the start of the input (prepend_scheme "first"): the tokenizer runs the
  // pre-tokenizer once per added-token segment and says whether that segment starts the input.
  static thread_local bool p_first_;

 private:
  std::string rep_;
  int prepend_;
  bool split_;
};
thread_local bool Metaspace::p_first_ = true;

bool newer_than_9(char32_t c) {
  UVersionInfo v;
  u_charAge(static_cast<UChar32>(c), v);
  return v[0] > 9 || (v[0] == 0 && u_charType(static_cast<UChar32>(c)) == U_UNASSIGNED);
}

class UnicodeScripts : public PreTokenizer {
 public:
  void split(Pieces& p) const override {
    Ranges out;
    for (auto [b, e] : p.ranges) {
      // As Hugging Face: a piece starts at each character whose script differs from the last non-Any
      // script; characters before the first such start (and pieces of only Any) are dropped.
      int last = -2;  // none yet
      int64_t start = -1;
      for (uint32_t i = b; i < e;) {
        size_t len = 0;
        const char32_t c = decode_utf8(p.text.s, i, len);
        int script;
        if (c == 0x30FC) {
          script = USCRIPT_HAN;
        } else if (c == ' ') {
          script = -1;
        } else if (newer_than_9(c)) {
          script = -1;  // Hugging Face's script table is Unicode 9.0: later characters are "Any"
        } else {
          UErrorCode err = U_ZERO_ERROR;
          script = uscript_getScript(static_cast<UChar32>(c), &err);
          if (script == USCRIPT_HIRAGANA || script == USCRIPT_KATAKANA) script = USCRIPT_HAN;
        }
        if (script != -1 && last != script) {
          if (start >= 0) out.emplace_back(static_cast<uint32_t>(start), i);
          start = i;
        }
        if (script != -1) last = script;
        i += static_cast<uint32_t>(len);
      }
      if (start >= 0 && e > start) out.emplace_back(static_cast<uint32_t>(start), e);
    }
    p.ranges = std::move(out);
  }
};

class PreSequence : public PreTokenizer {
 public:
  explicit PreSequence(std::vector<PreTokenizerPtr> items) : items_(std::move(items)) {}
  void split(Pieces& p) const override {
    for (const auto& x : items_) x->split(p);
  }

 private:
  std::vector<PreTokenizerPtr> items_;
};

}  // namespace

void set_metaspace_first(bool first) { Metaspace::p_first_ = first; }

PreTokenizerPtr make_split(const std::string& pattern, bool literal, SplitBehavior b, bool invert) {
  return std::make_unique<SplitRegex>(pattern, literal, b, invert);
}
PreTokenizerPtr make_byte_level(bool add_prefix_space, bool use_regex) {
  return std::make_unique<ByteLevelPre>(add_prefix_space, use_regex);
}
PreTokenizerPtr make_whitespace() { return std::make_unique<Whitespace>(); }
PreTokenizerPtr make_whitespace_split() { return std::make_unique<WhitespaceSplit>(); }
PreTokenizerPtr make_bert_pre_tokenizer() { return std::make_unique<BertPre>(); }
PreTokenizerPtr make_metaspace(const std::string& replacement, int prepend, bool split) {
  return std::make_unique<Metaspace>(replacement, prepend, split);
}
PreTokenizerPtr make_digits(bool individual) { return std::make_unique<Digits>(individual); }
PreTokenizerPtr make_punctuation(SplitBehavior b) { return std::make_unique<Punctuation>(b); }
PreTokenizerPtr make_unicode_scripts() { return std::make_unique<UnicodeScripts>(); }
PreTokenizerPtr make_pre_sequence(std::vector<PreTokenizerPtr> items) {
  return std::make_unique<PreSequence>(std::move(items));
}

}  // namespace seqflow::text
