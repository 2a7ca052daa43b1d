// A byte trie over a word list: walks a word as it is spelled, one unit at a time.
//
// What it is: the CTC beam search keeps, for each prefix, its open word's position in the trie of the
// LM's words and in that of the lexicon's, so that "is this a prefix of some word" and "which word is
// this" cost a short search per byte of the new unit, with no strings built on the hot path. Words are
// added first, then freeze() lays the edges out per node, sorted by byte (one cache line for a node's
// few children rather than a hash table's scattered buckets).
// Lifecycle: add() every word, freeze() once, then walk(). Threading: immutable after freeze().
// Ownership: plain values. Errors: none (an unknown path walks to kNone).
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace seqflow::decode {

class PrefixTrie {
 public:
  static constexpr int32_t kNone = -1;  // fell off the trie: no word begins this way
  PrefixTrie() : word_(1, -1), building_(1) {}
  /// Adds `word` with `id` (a later add of the same word keeps the first id). Before freeze() only.
  void add(std::string_view word, int32_t id);
  /// Lays the edges out for walking; call once after the last add().
  void freeze();
  /// The node after `bytes` from `node` (0 is the root), or kNone.
  int32_t walk(int32_t node, std::string_view bytes) const {
    for (unsigned char c : bytes) {
      if (node == kNone) return kNone;
      int32_t next = kNone;
      for (uint32_t e = first_[node]; e < first_[node + 1]; ++e)
        if (bytes_[e] == c) {
          next = child_[e];
          break;
        }
      node = next;
    }
    return node;
  }
  /// The id of the word that ends at `node`, or -1.
  int32_t word(int32_t node) const { return node == kNone ? -1 : word_[node]; }
  size_t nodes() const { return word_.size(); }

 private:
  std::vector<int32_t> word_;
  std::vector<std::vector<std::pair<unsigned char, int32_t>>> building_;
  std::vector<uint32_t> first_;  // node -> its first edge; first_[node + 1] ends them
  std::vector<unsigned char> bytes_;
  std::vector<int32_t> child_;
};

}  // namespace seqflow::decode
