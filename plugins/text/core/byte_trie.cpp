// ByteTrie construction (see byte_trie.hpp): a map-based trie flattened breadth-first.
#include "byte_trie.hpp"

#include <memory>

namespace seqflow::text {

void ByteTrie::build(const std::vector<std::pair<std::string, int32_t>>& keys) {
  struct Tmp {
    std::map<unsigned char, std::unique_ptr<Tmp>> kids;
    int32_t value = -1;
  };
  Tmp root;
  for (const auto& [k, v] : keys) {
    Tmp* n = &root;
    for (unsigned char c : k) {
      auto& slot = n->kids[c];
      if (!slot) slot = std::make_unique<Tmp>();
      n = slot.get();
    }
    if (n->value < 0) n->value = v;
  }
  nodes_.clear();
  edges_.clear();
  std::vector<const Tmp*> order{&root};
  nodes_.push_back({0, 0, root.value});
  for (size_t i = 0; i < order.size(); ++i) {
    const Tmp* t = order[i];
    nodes_[i].first = static_cast<uint32_t>(edges_.size());
    nodes_[i].count = static_cast<uint32_t>(t->kids.size());
    for (const auto& [c, kid] : t->kids) {
      edges_.emplace_back(c, static_cast<uint32_t>(order.size()));
      order.push_back(kid.get());
      nodes_.push_back({0, 0, kid->value});
    }
  }
  for (auto& r : root_) r = kNone;
  for (uint32_t k = nodes_[0].first; k < nodes_[0].first + nodes_[0].count; ++k)
    root_[edges_[k].first] = edges_[k].second;
}

}  // namespace seqflow::text
