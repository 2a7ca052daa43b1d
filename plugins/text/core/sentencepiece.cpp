// Loader of SentencePiece .model files (a ModelProto), parsed by hand from the protobuf wire format:
// the handful of fields the encoder needs are plain varints, floats and length-delimited strings, and
// parsing them here keeps every malformed byte a clear error with its offset (libsentencepiece would
// only say "could not parse"). The normalizer and both encoders (Unigram, BPE) follow SentencePiece
// 0.1.97's normalizer.cc, unigram_model.cc and bpe_model.cc.
#include <cstring>
#include <queue>
#include <unordered_map>

#include "byte_trie.hpp"
#include "charsmap.hpp"
#include "models.hpp"
#include "processors.hpp"
#include "tokenizer.hpp"
#include "unicode.hpp"

namespace seqflow::text {
namespace {

const char* const kSpace = "\xE2\x96\x81";

enum PieceType { kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kUnused = 5, kByte = 6 };

struct Proto {
  struct Piece {
    std::string piece;
    float score = 0;
    int type = kNormal;
  };
  std::vector<Piece> pieces;
  int model_type = 1;
  bool byte_fallback = false;
  bool whitespace_suffix = false;
  int unk_id = 0, bos_id = 1, eos_id = 2;
  std::string charsmap;
  std::string norm_name;
  bool add_dummy_prefix = true, remove_extra_ws = true, escape_ws = true;
};

class Wire {
 public:
  Wire(std::string_view d, size_t base, const std::string& path) : d_(d), base_(base), path_(path) {}
  bool done() const { return p_ >= d_.size(); }
  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ >= d_.size()) fail("a varint runs past the end");
      const auto b = static_cast<unsigned char>(d_[p_++]);
      v |= static_cast<uint64_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) return v;
    }
    fail("a varint is longer than 10 bytes");
  }
  std::string_view bytes() {
    const uint64_t n = varint();
    if (n > d_.size() - p_) fail("a field of " + std::to_string(n) + " bytes runs past the end");
    auto v = d_.substr(p_, n);
    p_ += n;
    return v;
  }
  float fixed32() {
    if (d_.size() - p_ < 4) fail("a 32-bit field runs past the end");
    float f;
    std::memcpy(&f, d_.data() + p_, 4);
    p_ += 4;
    return f;
  }
  void skip(int wire) {
    switch (wire) {
      case 0: varint(); return;
      case 1:
        if (d_.size() - p_ < 8) fail("a 64-bit field runs past the end");
        p_ += 8;
        return;
      case 2: bytes(); return;
      case 5: fixed32(); return;
      default: fail("wire type " + std::to_string(wire) + " is not valid protobuf");
    }
  }
  size_t offset() const { return base_ + p_; }
  size_t base() const { return base_; }
  [[noreturn]] void fail(const std::string& what) const {
    throw TokenizerError(path_ + ": not a valid SentencePiece model (protobuf does not parse at byte " +
                         std::to_string(base_ + p_) + ": " + what +
                         "); the file may be truncated or not a .model");
  }

 private:
  std::string_view d_;
  size_t base_;
  size_t p_ = 0;
  const std::string& path_;
};

template <class F>
void fields(Wire& w, F&& f) {
  while (!w.done()) {
    const uint64_t tag = w.varint();
    const int field = static_cast<int>(tag >> 3), wire = static_cast<int>(tag & 7);
    if (field == 0) w.fail("field number 0");
    f(field, wire);
  }
}

Proto parse(const std::string& content, const std::string& path) {
  Proto p;
  Wire top(content, 0, path);
  fields(top, [&](int field, int wire) {
    if (field == 1 && wire == 2) {
      const size_t at = top.offset();
      Wire m(top.bytes(), at, path);
      Proto::Piece pc;
      fields(m, [&](int f, int wt) {
        if (f == 1 && wt == 2) pc.piece = std::string(m.bytes());
        else if (f == 2 && wt == 5) pc.score = m.fixed32();
        else if (f == 3 && wt == 0) pc.type = static_cast<int>(m.varint());
        else m.skip(wt);
      });
      p.pieces.push_back(std::move(pc));
    } else if (field == 2 && wire == 2) {
      const size_t at = top.offset();
      Wire m(top.bytes(), at, path);
      fields(m, [&](int f, int wt) {
        if (wt != 0) {
          m.skip(wt);
          return;
        }
        const auto v = static_cast<int64_t>(m.varint());
        switch (f) {
          case 3: p.model_type = static_cast<int>(v); break;
          case 24: p.whitespace_suffix = v != 0; break;
          case 35: p.byte_fallback = v != 0; break;
          case 40: p.unk_id = static_cast<int>(static_cast<int32_t>(v)); break;
          case 41: p.bos_id = static_cast<int>(static_cast<int32_t>(v)); break;
          case 42: p.eos_id = static_cast<int>(static_cast<int32_t>(v)); break;
          default: break;
        }
      });
    } else if (field == 3 && wire == 2) {
      const size_t at = top.offset();
      Wire m(top.bytes(), at, path);
      fields(m, [&](int f, int wt) {
        if (f == 1 && wt == 2) p.norm_name = std::string(m.bytes());
        else if (f == 2 && wt == 2) p.charsmap = std::string(m.bytes());
        else if (f == 3 && wt == 0) p.add_dummy_prefix = m.varint() != 0;
        else if (f == 4 && wt == 0) p.remove_extra_ws = m.varint() != 0;
        else if (f == 5 && wt == 0) p.escape_ws = m.varint() != 0;
        else m.skip(wt);
      });
    } else {
      top.skip(wire);
    }
  });
  if (p.pieces.empty()) throw TokenizerError(path + ": the SentencePiece model has no pieces");
  return p;
}

// SentencePiece's Normalizer::Normalize.
class SpmNormalizer : public Normalizer {
 public:
  SpmNormalizer(const Proto& p, const std::string& path) : map_(p.charsmap, path), p_(p) {
    std::vector<std::pair<std::string, int32_t>> user;
    for (size_t i = 0; i < p.pieces.size(); ++i)
      if (p.pieces[i].type == kUserDefined) user.emplace_back(p.pieces[i].piece, static_cast<int32_t>(i));
    user_.build(user);
    p_.pieces.clear();
    p_.charsmap.clear();
  }
  void normalize(const Text& in, Text& out) const override {
    out.track = in.track;
    std::string_view s = in.s;
    size_t at = 0;
    auto prefix = [&](size_t i, std::string_view& rep) -> size_t {
      int32_t v;
      const size_t u = user_.empty() ? 0 : user_.longest(s.substr(i), v);
      if (u > 0) {
        rep = s.substr(i, u);
        return u;
      }
      const size_t m = map_.longest(s.substr(i), rep);
      if (m > 0) return m;
      size_t len = 0;
      decode_utf8(s, i, len);
      rep = s.substr(i, len);
      return len;
    };
    std::string_view rep;
    if (p_.remove_extra_ws) {
      while (at < s.size()) {
        const size_t n = prefix(at, rep);
        if (rep != " ") break;
        at += n;
      }
    }
    if (at >= s.size()) return;
    auto add_ws = [&](Span sp) {
      if (p_.escape_ws) out.push(kSpace, sp);
      else out.push(' ', sp);
    };
    if (p_.add_dummy_prefix) add_ws(in.span_of(at, at + 1));
    bool prev_space = p_.remove_extra_ws;
    while (at < s.size()) {
      const size_t n = prefix(at, rep);
      const Span sp = in.span_of(at, at + n);
      while (prev_space && !rep.empty() && rep[0] == ' ') rep.remove_prefix(1);
      if (!rep.empty()) {
        for (char c : rep) {
          if (p_.escape_ws && c == ' ') out.push(kSpace, sp);
          else out.push(c, sp);
        }
        prev_space = rep.back() == ' ';
      }
      at += n;
      if (!p_.remove_extra_ws) prev_space = false;
    }
    if (p_.remove_extra_ws) {
      const std::string_view space = p_.escape_ws ? kSpace : " ";
      while (out.s.size() >= space.size() &&
             out.s.compare(out.s.size() - space.size(), space.size(), space) == 0) {
        out.s.resize(out.s.size() - space.size());
        if (out.track) out.align.resize(out.s.size());
      }
    }
  }

 private:
  CharsMap map_;
  ByteTrie user_;
  Proto p_;
};

// SentencePiece's BPE encoder: symbols are characters (user-defined pieces frozen whole); the adjacent
// pair whose concatenation is a piece with the highest score merges first, the leftmost among equals.
class SpmBpe : public Model {
 public:
  SpmBpe(const Proto& p) {
    std::vector<std::pair<std::string, int32_t>> user;
    for (size_t i = 0; i < p.pieces.size(); ++i) {
      const int t = p.pieces[i].type;
      if (t == kNormal || t == kUserDefined || t == kUnused)
        pieces_.emplace(p.pieces[i].piece, static_cast<int32_t>(i));
      if (t == kUserDefined) user.emplace_back(p.pieces[i].piece, static_cast<int32_t>(i));
      scores_.push_back(p.pieces[i].score);
      unused_.push_back(t == kUnused);
    }
    user_.build(user);
    unk_ = p.unk_id;
    byte_fallback_ = p.byte_fallback;
    for (int b = 0; b < 256; ++b) {
      char name[8];
      std::snprintf(name, sizeof(name), "<0x%02X>", b);
      byte_id_[b] = -1;
      for (size_t i = 0; i < p.pieces.size(); ++i)
        if (p.pieces[i].type == kByte && p.pieces[i].piece == name) byte_id_[b] = static_cast<int32_t>(i);
    }
  }
  void tokenize(std::string_view s, std::vector<TokenOut>& out) const override {
    struct Sym {
      uint32_t b, e;
      int32_t prev, next;
      bool freeze;
    };
    std::vector<Sym> sy;
    for (size_t i = 0; i < s.size();) {
      int32_t v;
      size_t n = user_.empty() ? 0 : user_.longest(s.substr(i), v);
      const bool fr = n > 0;
      if (n == 0) {
        decode_utf8(s, i, n);
      }
      const auto k = static_cast<int32_t>(sy.size());
      sy.push_back({static_cast<uint32_t>(i), static_cast<uint32_t>(i + n), k - 1, -1, fr});
      if (k > 0) sy[k - 1].next = k;
      i += n;
    }
    if (sy.empty()) return;
    struct Pair {
      float score;
      int32_t left, right;
      uint32_t size;
      bool operator<(const Pair& o) const { return score != o.score ? score < o.score : left > o.left; }
    };
    std::priority_queue<Pair> q;
    std::unordered_map<std::string, std::pair<std::string, std::string>> rev;
    auto maybe = [&](int32_t l, int32_t r) {
      if (l < 0 || r < 0 || sy[l].freeze || sy[r].freeze) return;
      const std::string_view piece = s.substr(sy[l].b, sy[r].e - sy[l].b);
      auto it = pieces_.find(std::string(piece));
      if (it == pieces_.end()) return;
      q.push({scores_[it->second], l, r, static_cast<uint32_t>(piece.size())});
      if (unused_[it->second])
        rev[std::string(piece)] = {std::string(s.substr(sy[l].b, sy[l].e - sy[l].b)),
                                   std::string(s.substr(sy[r].b, sy[r].e - sy[r].b))};
    };
    for (size_t i = 1; i < sy.size(); ++i) maybe(static_cast<int32_t>(i - 1), static_cast<int32_t>(i));
    while (!q.empty()) {
      const Pair t = q.top();
      q.pop();
      Sym& l = sy[t.left];
      Sym& r = sy[t.right];
      if (l.e == l.b || r.e == r.b || (l.e - l.b) + (r.e - r.b) != t.size || l.next != t.right) continue;
      l.e = r.e;
      l.next = r.next;
      if (r.next >= 0) sy[r.next].prev = t.left;
      r.e = r.b;
      maybe(l.prev, t.left);
      maybe(t.left, l.next);
    }
    for (int32_t i = 0; i >= 0; i = sy[i].next) emit(s, sy[i].b, sy[i].e, rev, out);
  }

 private:
  void emit(std::string_view s, uint32_t b, uint32_t e,
            const std::unordered_map<std::string, std::pair<std::string, std::string>>& rev,
            std::vector<TokenOut>& out) const {
    const std::string w(s.substr(b, e - b));
    auto it = pieces_.find(w);
    if (it != pieces_.end() && unused_[it->second]) {
      auto r = rev.find(w);
      if (r != rev.end()) {
        const auto mid = static_cast<uint32_t>(b + r->second.first.size());
        emit(s, b, mid, rev, out);
        emit(s, mid, e, rev, out);
        return;
      }
    }
    if (it != pieces_.end()) {
      out.push_back({it->second, b, e});
    } else if (byte_fallback_) {
      for (uint32_t k = b; k < e; ++k) out.push_back({byte_id_[static_cast<unsigned char>(s[k])], k, k + 1});
    } else if (!out.empty() && out.back().id == unk_ && out.back().end == b) {
      out.back().end = e;  // runs of unknown pieces fuse, as SentencePieceProcessor does
    } else {
      out.push_back({unk_, b, e});
    }
  }
  std::unordered_map<std::string, int32_t> pieces_;
  std::vector<float> scores_;
  std::vector<uint8_t> unused_;
  ByteTrie user_;
  int32_t unk_ = 0;
  bool byte_fallback_ = false;
  int32_t byte_id_[256];
};

}  // namespace

std::unique_ptr<Tokenizer> load_sentencepiece(const std::string& content, const std::string& path) {
  const Proto p = parse(content, path);
  if (p.model_type != 1 && p.model_type != 2)
    throw TokenizerError(path + ": SentencePiece model_type " + std::to_string(p.model_type) +
                         (p.model_type == 3   ? " (WORD)"
                          : p.model_type == 4 ? " (CHAR)"
                                              : "") +
                         " is not supported (UNIGRAM and BPE are)");
  if (p.whitespace_suffix) throw TokenizerError(path + ": treat_whitespace_as_suffix is not supported");
  const auto n = static_cast<int32_t>(p.pieces.size());
  if (p.unk_id < 0 || p.unk_id >= n || p.pieces[p.unk_id].type != kUnknown)
    throw TokenizerError(path + ": unk_id " + std::to_string(p.unk_id) + " is not an UNKNOWN piece");
  auto tk = std::make_unique<Tokenizer>();
  tk->format = Format::kSentencePiece;
  for (const auto& pc : p.pieces) {
    if (pc.piece.empty())
      throw TokenizerError(path + ": piece " + std::to_string(tk->pieces.size()) + " is empty");
    tk->pieces.push_back(pc.piece);
    tk->special.push_back(pc.type == kControl ? 1 : 0);
  }
  for (int32_t i = 0; i < n; ++i) tk->piece_ids.emplace(p.pieces[i].piece, i);
  tk->normalizer = std::make_unique<SpmNormalizer>(p, path);
  if (p.model_type == 1) {
    UnigramOptions o;
    o.spm = true;
    o.unk = p.unk_id;
    o.byte_fallback = p.byte_fallback;
    for (const auto& pc : p.pieces) {
      o.pieces.emplace_back(pc.piece, pc.score);
      o.user_defined.push_back(pc.type == kUserDefined);
      o.unused.push_back(pc.type == kUnused ? 1 : (pc.type == kNormal || pc.type == kUserDefined) ? 0 : 2);
    }
    tk->model = make_unigram(std::move(o));
  } else {
    tk->model = std::make_unique<SpmBpe>(p);
  }
  std::vector<TemplateItem> tmpl;
  auto control = [&](int id) { return id >= 0 && id < n && p.pieces[id].type == kControl; };
  if (control(p.bos_id)) tmpl.push_back({false, {p.bos_id}});
  tmpl.push_back({true, {}});
  if (control(p.eos_id)) tmpl.push_back({false, {p.eos_id}});
  tk->post_processor = make_template(std::move(tmpl));
  std::vector<DecoderPtr> dec;
  dec.push_back(make_byte_fallback_decoder(true));
  dec.push_back(make_replace_decoder(kSpace, " "));
  tk->decoder = make_decoder_sequence(std::move(dec));
  tk->spm_decode = true;
  tk->spm_dummy_prefix = p.add_dummy_prefix;
  tk->spm_unk = p.unk_id;
  tk->finalize();
  return tk;
}

}  // namespace seqflow::text
