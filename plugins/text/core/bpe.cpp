// BPE (see models.hpp). The merge loop takes the lowest-rank pair first, the leftmost among equals,
// as Hugging Face's word.rs and tiktoken do. Short words use a direct scan; long ones a heap over a
// linked list of symbols, so a 1 MB run of one character costs O(n log n), not O(n^2).
#include <algorithm>
#include <cstdio>
#include <queue>

#include "models.hpp"
#include "unicode.hpp"

namespace seqflow::text {
namespace {

// Open-addressing map from a pair of ids to (rank, merged id).
class PairMap {
 public:
  void reserve(size_t n) {
    size_t cap = 16;
    while (cap < n * 2) cap <<= 1;
    keys_.assign(cap, kEmpty);
    vals_.assign(cap, {0, 0});
    mask_ = cap - 1;
  }
  void put(uint64_t key, uint32_t rank, int32_t id) {
    size_t i = hash(key) & mask_;
    while (keys_[i] != kEmpty && keys_[i] != key) i = (i + 1) & mask_;
    if (keys_[i] == key) return;  // the first (best) merge of a pair wins
    keys_[i] = key;
    vals_[i] = {rank, id};
  }
  bool get(uint64_t key, uint32_t& rank, int32_t& id) const {
    if (keys_.empty()) return false;
    size_t i = hash(key) & mask_;
    while (keys_[i] != kEmpty) {
      if (keys_[i] == key) {
        rank = vals_[i].first;
        id = vals_[i].second;
        return true;
      }
      i = (i + 1) & mask_;
    }
    return false;
  }

 private:
  static constexpr uint64_t kEmpty = ~0ull;
  static size_t hash(uint64_t k) { return static_cast<size_t>((k * 0x9E3779B97F4A7C15ull) >> 20); }
  std::vector<uint64_t> keys_;
  std::vector<std::pair<uint32_t, int32_t>> vals_;
  size_t mask_ = 0;
};

inline uint64_t pair_key(int32_t a, int32_t b) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
}

struct Sym {
  int32_t id;
  uint32_t begin, end;
  int32_t prev, next;
};

class Bpe : public Model {
 public:
  Bpe(BpeOptions o, const std::string& where) : o_(std::move(o)) {
    merges_.reserve(o_.merges.size());
    for (size_t r = 0; r < o_.merges.size(); ++r) {
      const auto [a, b] = o_.merges[r];
      const auto& sa = id_str(a);
      const auto& sb = id_str(b);
      std::string m = sa + (o_.prefix.empty() || sb.compare(0, o_.prefix.size(), o_.prefix) != 0
                                ? sb
                                : sb.substr(o_.prefix.size()));
      auto it = o_.vocab.find(m);
      if (it == o_.vocab.end())
        throw TokenizerError(where + ": merge " + std::to_string(r) + " (\"" + sa + "\" + \"" + sb +
                             "\") gives \"" + m + "\", which is not in the vocabulary");
      merges_.put(pair_key(a, b), o_.ranks.empty() ? static_cast<uint32_t>(r) : o_.ranks[r], it->second);
    }
    for (int b = 0; b < 256; ++b) {
      byte_id_[b] = -1;
      if (o_.byte_level) {
        auto it = o_.vocab.find(std::string(1, static_cast<char>(b)));
        if (it != o_.vocab.end()) byte_id_[b] = it->second;
      } else if (o_.byte_fallback) {
        char name[8];
        std::snprintf(name, sizeof(name), "<0x%02X>", b);
        auto it = o_.vocab.find(name);
        if (it != o_.vocab.end()) byte_id_[b] = it->second;
      }
    }
  }

  void tokenize(std::string_view w, std::vector<TokenOut>& out) const override {
    if (w.empty()) return;
    if (o_.ignore_merges) {
      auto it = o_.vocab.find(std::string(w));
      if (it != o_.vocab.end()) {
        out.push_back({it->second, 0, static_cast<uint32_t>(w.size())});
        return;
      }
    }
    thread_local std::vector<Sym> syms;
    syms.clear();
    initial_symbols(w, syms);
    if (syms.empty()) return;
    if (syms.size() < 48) merge_small(syms);
    else merge_heap(syms);
    for (int32_t i = 0; i >= 0; i = syms[i].next) out.push_back({syms[i].id, syms[i].begin, syms[i].end});
  }

 private:
  const std::string& id_str(int32_t id) {
    if (rev_.empty()) {
      rev_.resize(o_.vocab.size() + 1);
      for (const auto& [k, v] : o_.vocab) {
        if (v >= 0 && static_cast<size_t>(v) >= rev_.size()) rev_.resize(v + 1);
        if (v >= 0) rev_[v] = k;
      }
    }
    static const std::string empty;
    return id >= 0 && static_cast<size_t>(id) < rev_.size() ? rev_[id] : empty;
  }

  void add_sym(std::vector<Sym>& s, int32_t id, uint32_t b, uint32_t e) const {
    const auto n = static_cast<int32_t>(s.size());
    s.push_back({id, b, e, n - 1, -1});
    if (n > 0) s[n - 1].next = n;
  }

  void initial_symbols(std::string_view w, std::vector<Sym>& s) const {
    if (o_.byte_level && o_.prefix.empty() && o_.suffix.empty()) {
      for (uint32_t i = 0; i < w.size(); ++i) {
        const int32_t id = byte_id_[static_cast<unsigned char>(w[i])];
        if (id >= 0) add_sym(s, id, i, i + 1);
        else if (o_.unk >= 0) push_unk(s, i, i + 1);
      }
      return;
    }
    std::string key;
    for (uint32_t i = 0; i < w.size();) {
      const size_t len =
          o_.byte_level ? 1 : std::min(utf8_len(static_cast<unsigned char>(w[i])), w.size() - i);
      key.assign(w.substr(i, len));
      if (i > 0 && !o_.prefix.empty()) key.insert(0, o_.prefix);
      if (i + len == w.size() && !o_.suffix.empty()) key += o_.suffix;
      auto it = o_.vocab.find(key);
      if (it != o_.vocab.end()) {
        add_sym(s, it->second, i, static_cast<uint32_t>(i + len));
      } else {
        bool done = false;
        if (o_.byte_fallback) {
          bool all = true;
          for (size_t k = 0; k < len; ++k) all = all && byte_id_[static_cast<unsigned char>(w[i + k])] >= 0;
          if (all) {
            for (size_t k = 0; k < len; ++k)
              add_sym(s, byte_id_[static_cast<unsigned char>(w[i + k])], static_cast<uint32_t>(i + k),
                      static_cast<uint32_t>(i + k + 1));
            done = true;
          }
        }
        if (!done && o_.unk >= 0) push_unk(s, i, static_cast<uint32_t>(i + len));
      }
      i += static_cast<uint32_t>(len);
    }
  }

  void push_unk(std::vector<Sym>& s, uint32_t b, uint32_t e) const {
    // fuse_unk: a run of unknown characters becomes one unknown symbol.
    if (o_.fuse_unk && !s.empty() && s.back().id == o_.unk && s.back().end == b) {
      s.back().end = e;
      return;
    }
    add_sym(s, o_.unk, b, e);
  }

  // Short words: the rank of each adjacent pair is looked up once and again only for the two pairs a
  // merge changes; the minimum is found by a scan of the (short) list.
  void merge_small(std::vector<Sym>& s) const {
    thread_local std::vector<uint32_t> rank;
    thread_local std::vector<int32_t> merged;
    rank.assign(s.size(), UINT32_MAX);
    merged.assign(s.size(), -1);
    auto look = [&](int32_t i) {
      rank[i] = UINT32_MAX;
      if (i < 0 || s[i].next < 0) return;
      uint32_t r;
      int32_t id;
      if (merges_.get(pair_key(s[i].id, s[s[i].next].id), r, id)) {
        rank[i] = r;
        merged[i] = id;
      }
    };
    for (int32_t i = 0; i >= 0; i = s[i].next) look(i);
    while (true) {
      uint32_t best_rank = UINT32_MAX;
      int32_t best = -1;
      for (int32_t i = 0; i >= 0; i = s[i].next)
        if (rank[i] < best_rank) {
          best_rank = rank[i];
          best = i;
        }
      if (best < 0) return;
      const int32_t nx = s[best].next;
      s[best].id = merged[best];
      s[best].end = s[nx].end;
      s[best].next = s[nx].next;
      if (s[nx].next >= 0) s[s[nx].next].prev = best;
      look(best);
      if (s[best].prev >= 0) look(s[best].prev);
    }
  }

  void merge_heap(std::vector<Sym>& s) const {
    struct Item {
      uint32_t rank;
      int32_t pos;
      int32_t id;
      bool operator<(const Item& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
    };
    std::priority_queue<Item> q;
    auto push = [&](int32_t i) {
      if (i < 0 || s[i].next < 0) return;
      uint32_t r;
      int32_t id;
      if (merges_.get(pair_key(s[i].id, s[s[i].next].id), r, id)) q.push({r, i, id});
    };
    for (int32_t i = 0; i >= 0; i = s[i].next) push(i);
    std::vector<uint8_t> dead(s.size(), 0);
    while (!q.empty()) {
      const Item t = q.top();
      q.pop();
      if (dead[t.pos] || s[t.pos].next < 0) continue;
      const int32_t nx = s[t.pos].next;
      uint32_t r;
      int32_t id;
      if (!merges_.get(pair_key(s[t.pos].id, s[nx].id), r, id) || id != t.id) continue;
      s[t.pos].id = id;
      s[t.pos].end = s[nx].end;
      s[t.pos].next = s[nx].next;
      if (s[nx].next >= 0) s[s[nx].next].prev = t.pos;
      dead[nx] = 1;
      push(s[t.pos].prev);
      push(t.pos);
    }
  }

  BpeOptions o_;
  PairMap merges_;
  int32_t byte_id_[256];
  std::vector<std::string> rev_;
};

}  // namespace

ModelPtr make_bpe(BpeOptions o, const std::string& where) {
  return std::make_unique<Bpe>(std::move(o), where);
}

}  // namespace seqflow::text
