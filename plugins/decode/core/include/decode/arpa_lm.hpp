// A word n-gram language model read from an ARPA file, scored with Katz back-off.
//
// What it is: the LM that decode.ctc_beam fuses into its prefix beam search. KenLM is not packaged in
// Debian, so this reads the ARPA text format itself: a `\data\` section with `ngram N=count` lines, then
// `\N-grams:` sections of `log10prob w1 .. wN [log10backoff]` lines, then `\end\`.
// Scores follow the ARPA definition (what KenLM computes):
//   log P(w | h) = log P(h w)                       when the n-gram h w is listed,
//                = backoff(h) + log P(w | h[1:])   otherwise (backoff(h) = 0 when h is not listed).
//
// Lifecycle: `ArpaLm::load` parses the file once; `shared` caches one instance per path so that every
// per-worker stage instance uses the same one.
// Threading: immutable after load; safe for concurrent use.
// Ownership: plain values; State holds word ids only.
// Errors: load throws std::runtime_error "<file>:<line>: <what is wrong>; <what to do>".
#pragma once

#include "decode/prefix_trie.hpp"

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace seqflow::decode {

class ArpaLm {
 public:
  static constexpr int kMaxOrder = 6;
  /// The most recent words of a hypothesis (oldest first), at most order - 1 of them.
  struct State {
    std::array<int32_t, kMaxOrder - 1> words{};
    int32_t size = 0;
  };

  /// Parses `path`; throws on a malformed file.
  static ArpaLm load(const std::string& path);
  /// One loaded instance per path for the whole process.
  static std::shared_ptr<const ArpaLm> shared(const std::string& path);

  int order() const { return order_; }
  /// The model's unigrams as a trie (word() gives the word id).
  const PrefixTrie& trie() const { return trie_; }
  /// Word id or -1 when the word is not a unigram of the model.
  int32_t word_id(std::string_view word) const;
  int32_t bos() const { return bos_; }
  int32_t eos() const { return eos_; }
  /// -1 when the file lists no <unk>.
  int32_t unk() const { return unk_; }
  /// The state after "<s>".
  State begin_state() const;
  /// log10 P(word | state) with back-off, and the state after it.
  double score(const State& state, int32_t word, State& next) const;
  /// An upper bound of log10 P(word | history): the positive back-off weights a look-up can add up
  /// (order - 1 of them at most; listed log-probabilities are <= 0).
  double max_backoff_gain() const { return (order_ - 1) * max_backoff_; }
  /// Number of n-grams of order n (1-based), as read.
  size_t count(int n) const { return counts_[n - 1]; }

 private:
  struct Key {
    uint64_t lo = 0, hi = 0;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const noexcept {
      uint64_t h = k.lo * 0x9E3779B97F4A7C15ull ^ (k.hi + 0x632BE59BD9B4E019ull + (k.lo >> 29));
      return static_cast<size_t>(h ^ (h >> 31));
    }
  };
  struct Entry {
    double logp = 0;  // double: the file's decimal values survive to the last digit
    double backoff = 0;
  };
  static Key make_key(const int32_t* words, int n);
  const Entry* find(const int32_t* words, int n) const;
  /// Inserts; false when the key is there already.
  bool insert(const Key& k, const Entry& e);

  int order_ = 0;
  std::vector<size_t> counts_;
  std::unordered_map<std::string, int32_t> vocab_;
  PrefixTrie trie_;
  // n-grams in one open-addressing table (linear probing, at most half full): a look-up touches one or
  // two cache lines, where a node-based map chases pointers.
  std::vector<Key> keys_;
  std::vector<Entry> entries_;
  size_t mask_ = 0;
  int32_t bos_ = -1, eos_ = -1, unk_ = -1;
  double max_backoff_ = 0;  // the largest back-off weight, or 0
};

}  // namespace seqflow::decode
