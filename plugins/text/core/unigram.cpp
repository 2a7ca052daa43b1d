// Unigram (see models.hpp): the best segmentation by one left-to-right Viterbi pass over a trie of the
// pieces, as SentencePiece's EncodeOptimized and Hugging Face's encode_optimized; ties keep the path
// found first. A character no piece starts with becomes <unk> (score: lowest piece score - 10).
#include <algorithm>
#include <cfloat>
#include <cstdio>

#include "byte_trie.hpp"
#include "models.hpp"
#include "unicode.hpp"

namespace seqflow::text {
namespace {

constexpr double kUnkPenalty = 10.0;

class Unigram : public Model {
 public:
  explicit Unigram(UnigramOptions o) : o_(std::move(o)) {
    std::vector<std::pair<std::string, int32_t>> keys;
    min_score_ = o_.spm ? FLT_MAX : 1e300;
    max_score_ = o_.spm ? FLT_MIN : -1e300;
    for (size_t i = 0; i < o_.pieces.size(); ++i) {
      const bool special = !o_.spm ? false : (i < o_.unused.size() && o_.unused[i] == 2);
      if (special) continue;  // control, unknown and byte pieces are not in SentencePiece's lattice
      keys.emplace_back(o_.pieces[i].first, static_cast<int32_t>(i));
      const bool normal = !o_.spm || ((i >= o_.user_defined.size() || !o_.user_defined[i]) &&
                                      (i >= o_.unused.size() || o_.unused[i] == 0));
      if (normal) {
        min_score_ = std::min(min_score_, o_.pieces[i].second);
        max_score_ = std::max(max_score_, o_.pieces[i].second);
      }
    }
    trie_.build(keys);
    for (int b = 0; b < 256; ++b) {
      byte_id_[b] = -1;
      char name[8];
      std::snprintf(name, sizeof(name), "<0x%02X>", b);
      for (size_t i = 0; i < o_.pieces.size() && o_.byte_fallback; ++i)
        if (o_.pieces[i].first == name) {
          byte_id_[b] = static_cast<int32_t>(i);
          break;
        }
    }
  }

  void tokenize(std::string_view s, std::vector<TokenOut>& out) const override {
    if (s.empty()) return;
    if (o_.spm) run<float>(s, out);
    else run<double>(s, out);
  }

 private:
  template <class Score>
  void run(std::string_view s, std::vector<TokenOut>& out) const {
    struct Node {
      int32_t id = -1;
      Score score = 0;
      int32_t start = -1;
    };
    const size_t n = s.size();
    std::vector<Node> local(n + 1);
    const Score unk_score = static_cast<Score>(min_score_ - kUnkPenalty);
    for (size_t at = 0; at < n;) {
      const Score here = local[at].score;
      const size_t mblen = std::min(utf8_len(static_cast<unsigned char>(s[at])), n - at);
      bool single = false;
      uint32_t node = ByteTrie::kRoot;
      for (size_t k = at; k < n; ++k) {
        node = trie_.child(node, static_cast<unsigned char>(s[k]));
        if (node == ByteTrie::kNone) break;
        const int32_t id = trie_.value(node);
        if (id < 0) continue;
        const size_t len = k + 1 - at;
        if (o_.spm && id < static_cast<int32_t>(o_.unused.size()) && o_.unused[id] == 1) continue;
        double score;
        if (o_.spm && id < static_cast<int32_t>(o_.user_defined.size()) && o_.user_defined[id])
          score = static_cast<double>(len) * static_cast<float>(max_score_) - 0.1;
        else score = static_cast<double>(static_cast<Score>(o_.pieces[id].second));
        const double cand = score + static_cast<double>(here);
        Node& t = local[k + 1];
        if (t.start < 0 || cand > static_cast<double>(t.score)) {
          t.score = static_cast<Score>(cand);
          t.start = static_cast<int32_t>(at);
          t.id = id;
        }
        if (len == mblen) single = true;
      }
      if (!single) {
        Node& t = local[at + mblen];
        const double cand = static_cast<double>(unk_score) + static_cast<double>(here);
        if (t.start < 0 || cand > static_cast<double>(t.score)) {
          t.score = static_cast<Score>(cand);
          t.start = static_cast<int32_t>(at);
          t.id = o_.unk;
        }
      }
      at += mblen;
    }
    std::vector<TokenOut> path;
    for (size_t e = n; e > 0;) {
      const Node& nd = local[e];
      path.push_back({nd.id, static_cast<uint32_t>(nd.start), static_cast<uint32_t>(e)});
      e = static_cast<size_t>(nd.start);
    }
    // Runs of unknown pieces fuse into one; with byte_fallback they become byte pieces instead.
    const size_t mark = out.size();
    for (size_t r = path.size(); r-- > 0;) {
      const TokenOut t = path[r];
      if (t.id == o_.unk && o_.byte_fallback && byte_id_[0] >= 0) {
        for (uint32_t k = t.begin; k < t.end; ++k)
          out.push_back({byte_id_[static_cast<unsigned char>(s[k])], k, k + 1});
      } else if (t.id == o_.unk && o_.fuse_unk && out.size() > mark && out.back().id == o_.unk &&
                 out.back().end == t.begin) {
        out.back().end = t.end;
      } else {
        out.push_back(t);
      }
    }
  }

  UnigramOptions o_;
  ByteTrie trie_;
  double min_score_, max_score_;
  int32_t byte_id_[256];
};

}  // namespace

ModelPtr make_unigram(UnigramOptions o) { return std::make_unique<Unigram>(std::move(o)); }

}  // namespace seqflow::text
