// Post-processors and decoders (see processors.hpp).
#include "processors.hpp"

#include "unicode.hpp"

namespace seqflow::text {
namespace {

class Template : public PostProcessor {
 public:
  explicit Template(std::vector<TemplateItem> s) : single_(std::move(s)) {
    for (const auto& t : single_) added_ += t.ids.size();
  }
  size_t added_tokens() const override { return added_; }
  void process(Encoding& e, bool add) const override {
    if (!add || added_ == 0) return;
    Encoding r;
    r.track = e.track;
    for (const auto& t : single_) {
      if (t.sequence) {
        r.ids.insert(r.ids.end(), e.ids.begin(), e.ids.end());
        r.offsets.insert(r.offsets.end(), e.offsets.begin(), e.offsets.end());
      } else {
        for (int32_t id : t.ids) r.add(id, {0, 0});
      }
    }
    e = std::move(r);
  }

 private:
  std::vector<TemplateItem> single_;
  size_t added_ = 0;
};

class Identity : public PostProcessor {
 public:
  size_t added_tokens() const override { return 0; }
  void process(Encoding&, bool) const override {}
};

class ProcSeq : public PostProcessor {
 public:
  explicit ProcSeq(std::vector<PostProcessorPtr> v) : items_(std::move(v)) {}
  size_t added_tokens() const override {
    size_t n = 0;
    for (const auto& p : items_) n += p->added_tokens();
    return n;
  }
  void process(Encoding& e, bool add) const override {
    for (const auto& p : items_) p->process(e, add);
  }

 private:
  std::vector<PostProcessorPtr> items_;
};

// Rust's from_utf8_lossy replaces a maximal invalid prefix of a valid sequence as one U+FFFD.
size_t lossy_skip(const std::string& s, size_t i) {
  const auto b = static_cast<unsigned char>(s[i]);
  size_t need = b >= 0xC2 && b < 0xE0 ? 2 : b >= 0xE0 && b < 0xF0 ? 3 : b >= 0xF0 && b < 0xF5 ? 4 : 1;
  size_t k = 1;
  for (; k < need && i + k < s.size(); ++k) {
    const auto c = static_cast<unsigned char>(s[i + k]);
    unsigned lo = 0x80, hi = 0xBF;
    if (k == 1) {
      if (b == 0xE0) lo = 0xA0;
      if (b == 0xED) hi = 0x9F;
      if (b == 0xF0) lo = 0x90;
      if (b == 0xF4) hi = 0x8F;
    }
    if (c < lo || c > hi) break;
  }
  return k;
}

class ByteLevelDec : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& t) const override {
    std::string bytes, tmp;
    for (const auto& tok : t) {
      tmp.clear();
      if (byte_level_to_bytes(tok, tmp)) bytes += tmp;
      else bytes += tok;
    }
    const std::string out = utf8_lossy(bytes);
    t.assign(1, out);
  }
};

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  if (from.empty()) return s;
  std::string out;
  size_t at = 0;
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, at)) {
    out.append(s, at, p - at);
    out += to;
    at = p + from.size();
  }
  out.append(s, at, std::string::npos);
  return out;
}

std::string cleanup(std::string s) {
  static const char* const kPairs[][2] = {
      {" .", "."},   {" ?", "?"},           {" !", "!"},   {" ,", ","},     {" ' ", "'"},   {" n't", "n't"},
      {" 'm", "'m"}, {" do not", " don't"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
  for (const auto& p : kPairs) s = replace_all(std::move(s), p[0], p[1]);
  return s;
}

class WordPieceDec : public Decoder {
 public:
  WordPieceDec(std::string p, bool c) : prefix_(std::move(p)), cleanup_(c) {}
  void decode_chain(std::vector<std::string>& t) const override {
    for (size_t i = 0; i < t.size(); ++i) {
      if (i != 0) {
        if (t[i].compare(0, prefix_.size(), prefix_) == 0) t[i].erase(0, prefix_.size());
        else t[i] = " " + t[i];
      }
      if (cleanup_) t[i] = cleanup(std::move(t[i]));
    }
  }

 private:
  std::string prefix_;
  bool cleanup_;
};

class MetaspaceDec : public Decoder {
 public:
  MetaspaceDec(std::string r, int p) : rep_(std::move(r)), prepend_(p) {}
  void decode_chain(std::vector<std::string>& t) const override {
    for (size_t i = 0; i < t.size(); ++i) {
      std::string o;
      // Hugging Face drops every replacement character of the first token, not only a leading one.
      for (size_t k = 0; k < t[i].size();) {
        if (t[i].compare(k, rep_.size(), rep_) == 0) {
          if (!(i == 0 && prepend_ != 0)) o += ' ';
          k += rep_.size();
        } else {
          size_t len = std::min(utf8_len(static_cast<unsigned char>(t[i][k])), t[i].size() - k);
          o.append(t[i], k, len);
          k += len;
        }
      }
      t[i] = std::move(o);
    }
  }

 private:
  std::string rep_;
  int prepend_;
};

// A run of byte pieces: Hugging Face's ByteFallback keeps it if it is valid UTF-8 and otherwise gives one
// U+FFFD per byte; sentencepiece (per_char) decodes it a character at a time, so only the bytes that
// start no valid character become U+FFFD (<0xE2><0x41> is "\uFFFDA" there, "\uFFFD\uFFFD" in HF).
class ByteFallbackDec : public Decoder {
 public:
  explicit ByteFallbackDec(bool per_char) : per_char_(per_char) {}
  void decode_chain(std::vector<std::string>& t) const override {
    std::vector<std::string> out;
    std::string run;
    auto flush = [&] {
      if (run.empty()) return;
      if (valid_utf8(run)) {
        out.push_back(run);
      } else if (per_char_) {
        for (size_t i = 0; i < run.size();) {
          size_t len = 1;
          const char32_t c = decode_utf8(run, i, len);
          out.push_back(c == 0xFFFD && len == 1 ? std::string("\xEF\xBF\xBD") : run.substr(i, len));
          i += len;
        }
      } else {
        for (size_t k = 0; k < run.size(); ++k) out.emplace_back("\xEF\xBF\xBD");
      }
      run.clear();
    };
    for (auto& tok : t) {
      int v = -1;
      if (tok.size() == 6 && tok.compare(0, 3, "<0x") == 0 && tok[5] == '>') {
        auto hex = [](char c) {
          return c >= '0' && c <= '9'   ? c - '0'
                 : c >= 'A' && c <= 'F' ? c - 'A' + 10
                 : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                        : -1;
        };
        const int h = hex(tok[3]), l = hex(tok[4]);
        if (h >= 0 && l >= 0) v = h * 16 + l;
      }
      if (v >= 0) {
        run += static_cast<char>(v);
      } else {
        flush();
        out.push_back(std::move(tok));
      }
    }
    flush();
    t = std::move(out);
  }

 private:
  bool per_char_;
};

class FuseDec : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& t) const override {
    std::string s;
    for (const auto& x : t) s += x;
    t.assign(1, s);
  }
};

class StripDec : public Decoder {
 public:
  StripDec(std::string c, size_t a, size_t b) : content_(std::move(c)), start_(a), stop_(b) {}
  void decode_chain(std::vector<std::string>& t) const override {
    for (auto& tok : t) {
      size_t b = 0, e = tok.size();
      for (size_t k = 0; k < start_ && b < e && tok.compare(b, content_.size(), content_) == 0; ++k)
        b += content_.size();
      for (size_t k = 0; k < stop_ && e >= b + content_.size() &&
                         tok.compare(e - content_.size(), content_.size(), content_) == 0;
           ++k)
        e -= content_.size();
      tok = tok.substr(b, e - b);
    }
  }

 private:
  std::string content_;
  size_t start_, stop_;
};

class ReplaceDec : public Decoder {
 public:
  ReplaceDec(std::string p, std::string c) : pattern_(std::move(p)), content_(std::move(c)) {}
  void decode_chain(std::vector<std::string>& t) const override {
    for (auto& tok : t) tok = replace_all(std::move(tok), pattern_, content_);
  }

 private:
  std::string pattern_, content_;
};

class CtcDec : public Decoder {
 public:
  CtcDec(std::string p, std::string w, bool c) : pad_(std::move(p)), delim_(std::move(w)), cleanup_(c) {}
  void decode_chain(std::vector<std::string>& t) const override {
    std::vector<std::string> out;
    for (size_t i = 0; i < t.size(); ++i) {
      if (i > 0 && t[i] == t[i - 1]) continue;
      std::string r = replace_all(t[i], pad_, "");
      if (cleanup_) r = replace_all(cleanup(std::move(r)), delim_, " ");
      if (!r.empty()) out.push_back(std::move(r));
    }
    t = std::move(out);
  }

 private:
  std::string pad_, delim_;
  bool cleanup_;
};

class BpeDec : public Decoder {
 public:
  explicit BpeDec(std::string s) : suffix_(std::move(s)) {}
  void decode_chain(std::vector<std::string>& t) const override {
    for (size_t i = 0; i < t.size(); ++i)
      t[i] = replace_all(std::move(t[i]), suffix_, i + 1 == t.size() ? "" : " ");
  }

 private:
  std::string suffix_;
};

class DecSeq : public Decoder {
 public:
  explicit DecSeq(std::vector<DecoderPtr> v) : items_(std::move(v)) {}
  void decode_chain(std::vector<std::string>& t) const override {
    for (const auto& d : items_) d->decode_chain(t);
  }

 private:
  std::vector<DecoderPtr> items_;
};

}  // namespace

std::string utf8_lossy(const std::string& bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (size_t i = 0; i < bytes.size();) {
    size_t len = 0;
    const char32_t c = decode_utf8(bytes, i, len);
    if (c == 0xFFFD && len == 1) {
      append_utf8(out, 0xFFFD);
      i += lossy_skip(bytes, i);
      continue;
    }
    out.append(bytes, i, len);
    i += len;
  }
  return out;
}

const std::vector<char32_t>& byte_to_char() {
  static const std::vector<char32_t> table = [] {
    std::vector<char32_t> t(256, 0);
    std::vector<bool> direct(256, false);
    for (int b = '!'; b <= '~'; ++b) direct[b] = true;
    for (int b = 0xA1; b <= 0xAC; ++b) direct[b] = true;
    for (int b = 0xAE; b <= 0xFF; ++b) direct[b] = true;
    char32_t n = 0;
    for (int b = 0; b < 256; ++b) t[b] = direct[b] ? static_cast<char32_t>(b) : 256 + n++;
    return t;
  }();
  return table;
}

bool byte_level_to_bytes(const std::string& token, std::string& out) {
  static const std::vector<int> rev = [] {
    std::vector<int> r(512, -1);
    const auto& t = byte_to_char();
    for (int b = 0; b < 256; ++b) r[t[b]] = b;
    return r;
  }();
  for (size_t i = 0; i < token.size();) {
    size_t len = 0;
    const char32_t c = decode_utf8(token, i, len);
    if (c >= 512 || rev[c] < 0 || (c == 0xFFFD && len == 1)) return false;
    out += static_cast<char>(rev[c]);
    i += len;
  }
  return true;
}

PostProcessorPtr make_template(std::vector<TemplateItem> single) {
  return std::make_unique<Template>(std::move(single));
}
PostProcessorPtr make_identity_processor() { return std::make_unique<Identity>(); }
PostProcessorPtr make_processor_sequence(std::vector<PostProcessorPtr> items) {
  return std::make_unique<ProcSeq>(std::move(items));
}
DecoderPtr make_byte_level_decoder() { return std::make_unique<ByteLevelDec>(); }
DecoderPtr make_wordpiece_decoder(const std::string& prefix, bool cleanup) {
  return std::make_unique<WordPieceDec>(prefix, cleanup);
}
DecoderPtr make_metaspace_decoder(const std::string& replacement, int prepend) {
  return std::make_unique<MetaspaceDec>(replacement, prepend);
}
DecoderPtr make_byte_fallback_decoder(bool per_char) { return std::make_unique<ByteFallbackDec>(per_char); }
DecoderPtr make_fuse_decoder() { return std::make_unique<FuseDec>(); }
DecoderPtr make_strip_decoder(const std::string& content, size_t start, size_t stop) {
  return std::make_unique<StripDec>(content, start, stop);
}
DecoderPtr make_replace_decoder(const std::string& pattern, const std::string& content) {
  return std::make_unique<ReplaceDec>(pattern, content);
}
DecoderPtr make_ctc_decoder(const std::string& pad, const std::string& word_delimiter, bool cleanup) {
  return std::make_unique<CtcDec>(pad, word_delimiter, cleanup);
}
DecoderPtr make_bpe_decoder(const std::string& suffix) { return std::make_unique<BpeDec>(suffix); }
DecoderPtr make_decoder_sequence(std::vector<DecoderPtr> items) {
  return std::make_unique<DecSeq>(std::move(items));
}

}  // namespace seqflow::text
