#include "decode/prefix_trie.hpp"

#include <algorithm>

namespace seqflow::decode {

void PrefixTrie::add(std::string_view word, int32_t id) {
  int32_t node = 0;
  for (unsigned char c : word) {
    auto& edges = building_[node];
    auto it = std::find_if(edges.begin(), edges.end(), [c](const auto& e) { return e.first == c; });
    if (it == edges.end()) {
      const auto fresh = static_cast<int32_t>(word_.size());
      edges.emplace_back(c, fresh);
      word_.push_back(-1);
      building_.emplace_back();
      node = fresh;
    } else {
      node = it->second;
    }
  }
  if (word_[node] < 0) word_[node] = id;
}

void PrefixTrie::freeze() {
  first_.assign(word_.size() + 1, 0);
  bytes_.clear();
  child_.clear();
  for (size_t n = 0; n < building_.size(); ++n) {
    auto& edges = building_[n];
    std::sort(edges.begin(), edges.end());
    first_[n] = static_cast<uint32_t>(bytes_.size());
    for (const auto& [c, child] : edges) {
      bytes_.push_back(c);
      child_.push_back(child);
    }
  }
  first_[building_.size()] = static_cast<uint32_t>(bytes_.size());
  building_.clear();
  building_.shrink_to_fit();
}

}  // namespace seqflow::decode
