// Tokenizer: the encode and decode pipelines (see tokenizer.hpp).
#include "tokenizer.hpp"

#include <atomic>
#include <cstring>
#include <fstream>
#include <sstream>

#include "pre_tokenizers.hpp"
#include "processors.hpp"
#include "unicode.hpp"

namespace seqflow::text {
namespace {

// The per-thread cache of pre-token -> tokens, for one tokenizer at a time (a thread that alternates
// between tokenizers only loses hits): open addressing over a power-of-two table, keys and values in
// two arenas, cleared whole when it fills. Pieces longer than kMaxKey bytes are not cached.
constexpr size_t kMaxKey = 64;
constexpr size_t kSlots = 1 << 17;  // 2 MB of slots, room for ~98k pieces

inline uint64_t hash_bytes(std::string_view s) {
  uint64_t h = 0x9E3779B97F4A7C15ull ^ s.size();
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
    h ^= h >> 31;
  }
  uint64_t w = 0;
  std::memcpy(&w, s.data() + i, s.size() - i);
  h ^= w;
  // murmur3's fmix64: every output bit depends on every input bit (table indices use the low bits).
  h ^= h >> 33;
  h *= 0xFF51AFD7ED558CCDull;
  h ^= h >> 33;
  h *= 0xC4CEB9FE1A85EC53ull;
  return h ^ (h >> 33);
}

// In front of Cache: a direct-mapped table of 4096 short pieces (up to 16 bytes, 3 ids) with the key
// and ids inline, 128 KB, so the common words cost one cache line instead of three misses.
class HotCache {
 public:
  static constexpr size_t kKey = 16;
  static constexpr size_t kIds = 3;
  uint64_t owner = 0;
  void clear() { e_.assign(kSize, Entry{}); }
  static void key_of(std::string_view p, uint64_t k[2]) {
    k[0] = k[1] = 0;
    std::memcpy(k, p.data(), p.size());
  }
  // Appends the ids of `piece` (size <= kKey) to `out` and returns true on a hit.
  bool get(std::string_view piece, uint64_t h, std::vector<int32_t>& out) const {
    const Entry& x = e_[h & (kSize - 1)];
    if (x.len != piece.size() || x.n == 0) return false;
    uint64_t k[2];
    key_of(piece, k);
    if (k[0] != x.key[0] || k[1] != x.key[1]) return false;
    out.insert(out.end(), x.ids, x.ids + x.n);
    return true;
  }
  void put(std::string_view piece, uint64_t h, const TokenOut* t, uint32_t n) {
    if (n == 0 || n > kIds) return;
    Entry& x = e_[h & (kSize - 1)];
    key_of(piece, x.key);
    x.len = static_cast<uint8_t>(piece.size());
    x.n = static_cast<uint8_t>(n);
    for (uint32_t i = 0; i < n; ++i) x.ids[i] = t[i].id;
  }
  bool empty() const { return e_.empty(); }

 private:
  static constexpr size_t kSize = 4096;
  struct Entry {
    uint64_t key[2] = {0, 0};
    uint8_t len = 0, n = 0;
    int32_t ids[kIds] = {0, 0, 0};
  };
  std::vector<Entry> e_;
};

class Cache {
 public:
  uint64_t owner = 0;
  void clear() {
    slots_.assign(kSlots, Slot{});
    keys_.clear();
    vals_.clear();
    used_ = 0;
  }
  // The cached tokens of `piece`, or nullptr (then `insert` may follow).
  const TokenOut* find(std::string_view piece, uint64_t h, uint32_t& n) {
    if (slots_.empty()) clear();
    for (size_t i = h & (kSlots - 1);; i = (i + 1) & (kSlots - 1)) {
      const Slot& sl = slots_[i];
      if (sl.len == 0) return nullptr;
      if (sl.hash == static_cast<uint32_t>(h) && sl.len == piece.size() &&
          std::memcmp(keys_.data() + sl.key, piece.data(), piece.size()) == 0) {
        n = sl.count;
        return vals_.data() + sl.val;
      }
    }
  }
  void insert(std::string_view piece, uint64_t h, const TokenOut* t, uint32_t n) {
    if (used_ * 4 >= kSlots * 3 || n > 0xFFFF) {
      if (n > 0xFFFF) return;
      clear();
    }
    size_t i = h & (kSlots - 1);
    while (slots_[i].len != 0) i = (i + 1) & (kSlots - 1);
    slots_[i] = {static_cast<uint32_t>(h), static_cast<uint32_t>(keys_.size()),
                 static_cast<uint32_t>(vals_.size()), static_cast<uint16_t>(piece.size()),
                 static_cast<uint16_t>(n)};
    keys_.append(piece);
    vals_.insert(vals_.end(), t, t + n);
    ++used_;
  }

 private:
  struct Slot {
    uint32_t hash = 0;
    uint32_t key = 0, val = 0;
    uint16_t len = 0, count = 0;
  };
  std::vector<Slot> slots_;
  std::string keys_;
  std::vector<TokenOut> vals_;
  size_t used_ = 0;
};
std::atomic<uint64_t> g_serial{1};

bool is_wtf8_surrogate(std::string_view s, size_t i) {
  return static_cast<unsigned char>(s[i]) == 0xED && i + 2 < s.size() &&
         (static_cast<unsigned char>(s[i + 1]) & 0xE0) == 0xA0 &&
         (static_cast<unsigned char>(s[i + 2]) & 0xC0) == 0x80;
}

// Invalid UTF-8 is an error naming the byte; tiktoken mode first turns WTF-8 surrogates into U+FFFD.
std::string_view checked_text(std::string_view s, bool replace_surrogates, std::string& fixed) {
  bool surrogates = false;
  for (size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    if (decode_utf8(s, i, len) == 0xFFFD && len == 1) {
      const bool sur = is_wtf8_surrogate(s, i);
      if (sur && replace_surrogates) {
        surrogates = true;
        i += 3;
        continue;
      }
      char h[3];
      std::snprintf(h, sizeof(h), "%02X", b);
      throw TokenizerError("the text is not valid UTF-8: byte 0x" + std::string(h) + " at offset " +
                           std::to_string(i) + (sur ? " starts a lone surrogate (WTF-8)" : "") +
                           "; give the text as UTF-8");
    }
    i += len;
  }
  if (!surrogates) return s;
  fixed.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    if (is_wtf8_surrogate(s, i)) {
      fixed += "\xEF\xBF\xBD";
      i += 3;
    } else {
      fixed += s[i++];
    }
  }
  return fixed;
}

bool ends_with_word(std::string_view s) {
  if (s.empty()) return false;
  size_t k = s.size() - 1;
  while (k > 0 && (static_cast<unsigned char>(s[k]) & 0xC0) == 0x80) --k;
  size_t len = 0;
  return is_word_char(decode_utf8(s, k, len));
}
bool starts_with_word(std::string_view s) {
  if (s.empty()) return false;
  size_t len = 0;
  return is_word_char(decode_utf8(s, 0, len));
}

}  // namespace

void Tokenizer::finalize() {
  serial_ = g_serial.fetch_add(1);
  std::vector<std::pair<std::string, int32_t>> raw, norm;
  for (size_t i = 0; i < added.size(); ++i) {
    const AddedToken& a = added[i];
    if (a.content.empty()) continue;
    if (a.normalized && normalizer) {
      Text in, out;
      in.s = a.content;
      normalizer->normalize(in, out);
      if (!out.s.empty()) norm.emplace_back(out.s, static_cast<int32_t>(i));
    } else if (a.normalized) {
      norm.emplace_back(a.content, static_cast<int32_t>(i));
    } else {
      raw.emplace_back(a.content, static_cast<int32_t>(i));
    }
  }
  has_raw_ = !raw.empty();
  has_norm_ = !norm.empty();
  raw_trie_.build(raw);
  norm_trie_.build(norm);
}

void Tokenizer::find_added(std::string_view s, const ByteTrie& trie, bool allow_special,
                           std::vector<std::pair<int32_t, std::pair<size_t, size_t>>>& out) const {
  size_t start_offset = 0;
  for (size_t i = 0; i < s.size();) {
    if (trie.child(ByteTrie::kRoot, static_cast<unsigned char>(s[i])) == ByteTrie::kNone) {
      ++i;
      continue;
    }
    int32_t idx = -1;
    const size_t len = trie.longest(s.substr(i), idx);
    if (len == 0) {
      ++i;
      continue;
    }
    const AddedToken& a = added[idx];
    size_t b = i, e = i + len;
    i = e;
    if (a.special && !allow_special) continue;
    if (a.single_word) {
      const bool start_space = b == 0 || !ends_with_word(s.substr(0, b));
      const bool stop_space = e == s.size() || !starts_with_word(s.substr(e));
      if (!start_space || !stop_space) continue;
    }
    if (a.lstrip) {
      size_t nb = b;
      while (nb > start_offset) {
        size_t k = nb - 1;
        while (k > 0 && (static_cast<unsigned char>(s[k]) & 0xC0) == 0x80) --k;
        size_t l = 0;
        if (!is_whitespace(decode_utf8(s, k, l))) break;
        nb = k;
      }
      b = nb;
    }
    if (a.rstrip) {
      while (e < s.size()) {
        size_t l = 0;
        if (!is_whitespace(decode_utf8(s, e, l))) break;
        e += l;
      }
      i = e;
    }
    if (start_offset < b) out.push_back({-1, {start_offset, b}});
    out.push_back({a.id, {b, e}});
    start_offset = e;
  }
  if (start_offset < s.size()) out.push_back({-1, {start_offset, s.size()}});
}

void Tokenizer::encode(std::string_view text, bool allow_special, bool track, Encoding& out) const {
  out.track = track;
  std::string fixed;
  const std::string_view s = checked_text(text, replace_surrogates, fixed);
  if (!has_raw_) {
    encode_segment(s, 0, true, track, out);
    return;
  }
  std::vector<std::pair<int32_t, std::pair<size_t, size_t>>> segs;
  find_added(s, raw_trie_, allow_special, segs);
  for (const auto& [id, sp] : segs) {
    if (id >= 0) out.add(id, {static_cast<uint32_t>(sp.first), static_cast<uint32_t>(sp.second)});
    else
      encode_segment(s.substr(sp.first, sp.second - sp.first), static_cast<uint32_t>(sp.first), sp.first == 0,
                     track, out);
  }
}

void Tokenizer::encode_segment(std::string_view text, uint32_t origin, bool at_input_start, bool track,
                               Encoding& out) const {
  if (text.empty()) return;
  Text raw;
  raw.track = track;
  raw.s.assign(text);
  if (track) {
    raw.align.resize(text.size());
    for (uint32_t i = 0; i < text.size(); ++i) raw.align[i] = {origin + i, origin + i + 1};
  }
  Text norm;
  Text* t = &raw;
  if (normalizer) {
    normalizer->normalize(raw, norm);
    t = &norm;
  }
  if (!has_norm_) {
    encode_normalized(std::move(*t), at_input_start, out);
    return;
  }
  std::vector<std::pair<int32_t, std::pair<size_t, size_t>>> segs;
  find_added(t->s, norm_trie_, true, segs);
  for (const auto& [id, sp] : segs) {
    if (id >= 0) {
      out.add(id, t->span_of(sp.first, sp.second));
      continue;
    }
    Text part;
    part.track = track;
    part.copy(*t, sp.first, sp.second);
    encode_normalized(std::move(part), at_input_start && sp.first == 0, out);
  }
}

void Tokenizer::encode_normalized(Text&& t, bool at_input_start, Encoding& out) const {
  if (t.s.empty()) return;
  Pieces p;
  p.text = std::move(t);
  p.ranges.emplace_back(0, static_cast<uint32_t>(p.text.s.size()));
  if (pre_tokenizer) {
    set_metaspace_first(at_input_start);
    pre_tokenizer->split(p);
  }
  thread_local Cache cache;
  thread_local HotCache hot;
  if (cache.owner != serial_) {
    cache.clear();
    hot.clear();
    cache.owner = serial_;
  }
  thread_local std::vector<TokenOut> toks;
  for (auto [b, e] : p.ranges) {
    const std::string_view piece(p.text.s.data() + b, e - b);
    const TokenOut* res = nullptr;
    uint32_t n = 0;
    if (piece.size() <= kMaxKey) {
      const uint64_t h = hash_bytes(piece);
      const bool short_piece = piece.size() <= HotCache::kKey;
      if (short_piece && !out.track && hot.get(piece, h, out.ids)) continue;
      res = cache.find(piece, h, n);
      if (res == nullptr) {
        toks.clear();
        model->tokenize(piece, toks);
        cache.insert(piece, h, toks.data(), static_cast<uint32_t>(toks.size()));
        res = toks.data();
        n = static_cast<uint32_t>(toks.size());
      }
      if (short_piece) hot.put(piece, h, res, n);
    } else {
      toks.clear();
      model->tokenize(piece, toks);
      res = toks.data();
      n = static_cast<uint32_t>(toks.size());
    }
    if (out.track) {
      for (uint32_t k = 0; k < n; ++k) out.add(res[k].id, p.text.span_of(b + res[k].begin, b + res[k].end));
    } else {
      for (uint32_t k = 0; k < n; ++k) out.ids.push_back(res[k].id);
    }
  }
}

void Tokenizer::post_process(Encoding& e, bool add_special_tokens) const {
  if (post_processor) post_processor->process(e, add_special_tokens);
}
size_t Tokenizer::num_added_by_post_processor() const {
  return post_processor ? post_processor->added_tokens() : 0;
}

std::string Tokenizer::decode(const int32_t* ids, size_t n, bool skip_special) const {
  std::vector<std::string> toks;
  toks.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const int32_t id = ids[i];
    if (id < 0 || id >= static_cast<int32_t>(pieces.size()) || (pieces[id].empty() && !special[id]))
      throw TokenizerError("id " + std::to_string(id) + " at position " + std::to_string(i) +
                           " is not in the vocabulary (" + std::to_string(pieces.size()) + " ids)");
    if (skip_special && special[id]) continue;
    toks.push_back(pieces[id]);
  }
  if (spm_decode) {
    // SentencePiece: control pieces vanish, <unk> reads " \u2047 ", byte pieces join into characters,
    // and the space that add_dummy_prefix put before the first piece goes away.
    std::vector<std::string> mapped;
    bool strip_first = false;
    for (size_t k = 0; k < n; ++k) {
      const int32_t id = ids[k];
      if (id == spm_unk) {
        mapped.emplace_back(" \xE2\x81\x87 ");
        continue;
      }
      if (special[id]) continue;
      if (mapped.empty()) strip_first = spm_dummy_prefix && pieces[id].rfind("\xE2\x96\x81", 0) == 0;
      mapped.push_back(pieces[id]);
    }
    if (decoder) decoder->decode_chain(mapped);
    std::string out;
    for (const auto& m : mapped) out += m;
    if (strip_first && !out.empty() && out[0] == ' ') out.erase(0, 1);
    return out;
  }
  std::string out;
  if (decoder) {
    decoder->decode_chain(toks);
    for (const auto& t : toks) out += t;
    if (lossy_decode) out = utf8_lossy(out);
  } else {
    for (size_t i = 0; i < toks.size(); ++i) {
      if (i) out += ' ';
      out += toks[i];
    }
  }
  return out;
}

std::unique_ptr<Tokenizer> load_tokenizer(const std::string& path, const LoadOptions& opt) {
  std::ifstream f(path, std::ios::binary);
  if (!f)
    throw TokenizerError(path +
                         ": cannot open the tokenizer file; check the path (relative to the pipeline file)");
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string content = ss.str();
  size_t i = 0;
  while (i < content.size() &&
         (content[i] == ' ' || content[i] == '\n' || content[i] == '\r' || content[i] == '\t'))
    ++i;
  if (content.empty()) throw TokenizerError(path + ": the tokenizer file is empty");
  if (i < content.size() && content[i] == '{') return load_hf_json(content, path);
  // A SentencePiece ModelProto starts with field 1 (pieces), length-delimited: tag byte 0x0A.
  if (static_cast<unsigned char>(content[0]) == 0x0A) return load_sentencepiece(content, path);
  // tiktoken: "<base64> <rank>" lines; vocab.txt: one token per line.
  const size_t nl = content.find('\n');
  const std::string first = content.substr(0, nl);
  const size_t sp = first.find(' ');
  bool tik = sp != std::string::npos && sp > 0 && sp + 1 < first.size();
  for (size_t k = sp + 1; tik && k < first.size(); ++k)
    tik = (first[k] >= '0' && first[k] <= '9') || first[k] == '\r';
  if (tik) return load_tiktoken(content, path, opt);
  return load_bert_vocab(content, path, opt);
}

}  // namespace seqflow::text
