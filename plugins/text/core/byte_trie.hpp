// A read-only byte trie for prefix searches (Unigram's lattice, WordPiece's longest match, added
// tokens). Built once from (key, value) pairs; walk() follows one byte at a time.
// Threading: immutable after build, any number of readers.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace seqflow::text {

class ByteTrie {
 public:
  void build(const std::vector<std::pair<std::string, int32_t>>& keys);
  bool empty() const { return nodes_.size() <= 1; }
  static constexpr uint32_t kRoot = 0;
  static constexpr uint32_t kNone = UINT32_MAX;
  /// The child of `node` by byte `c`, or kNone.
  uint32_t child(uint32_t node, unsigned char c) const {
    if (node == kRoot) return root_[c];
    const Node& n = nodes_[node];
    for (uint32_t k = n.first; k < n.first + n.count; ++k)
      if (edges_[k].first == c) return edges_[k].second;
    return kNone;
  }
  /// Value stored at `node` (-1 when no key ends there).
  int32_t value(uint32_t node) const { return nodes_[node].value; }
  /// Calls f(length, value) for every key that is a prefix of s, shortest first.
  template <class F>
  void prefixes(std::string_view s, F&& f) const {
    uint32_t node = kRoot;
    for (size_t i = 0; i < s.size(); ++i) {
      node = child(node, static_cast<unsigned char>(s[i]));
      if (node == kNone) return;
      if (nodes_[node].value >= 0) f(i + 1, nodes_[node].value);
    }
  }
  /// Longest key that is a prefix of s: its length (0: none) and value.
  size_t longest(std::string_view s, int32_t& v) const {
    size_t best = 0;
    prefixes(s, [&](size_t len, int32_t val) {
      best = len;
      v = val;
    });
    return best;
  }

 private:
  struct Node {
    uint32_t first = 0;
    uint32_t count = 0;
    int32_t value = -1;
  };
  std::vector<Node> nodes_;
  std::vector<std::pair<unsigned char, uint32_t>> edges_;
  uint32_t root_[256];
};

}  // namespace seqflow::text
