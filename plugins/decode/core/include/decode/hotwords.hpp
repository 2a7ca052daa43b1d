// Hotword boosting for the CTC prefix beam search: an Aho-Corasick automaton over the bytes of the
// transcript.
//
// What it is: each hotword phrase is matched as whole words: the automaton's patterns are " phrase ",
// and the decoder feeds a space at the start, at every word boundary and at the end. A hypothesis earns
// a phrase's boost in proportion as it spells the phrase (`potential`: boost * matched / length, the
// longest partial match of the automaton's state), and keeps the whole boost once the phrase is complete
// (`feed` returns it). When a partial match fails, the state falls back along its failure links and the
// potential drops with it: the partial boost is given back, never counted twice.
//
// Lifecycle: built once per stage instance from the `hotwords` table.
// Threading: immutable after construction. Ownership: plain values; states are ints the caller keeps.
// Errors: the constructor throws std::invalid_argument for an empty phrase or a non-finite boost.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace seqflow::decode {

class Hotwords {
 public:
  Hotwords() = default;
  /// Phrases and their total boosts (natural log); words inside a phrase are separated by spaces.
  explicit Hotwords(const std::vector<std::pair<std::string, double>>& phrases);

  bool empty() const { return potential_.empty(); }
  /// The start state, after the initial space.
  int32_t start() const { return start_; }
  /// Advances `state` over `bytes`; returns the boosts of the phrases completed on the way.
  double feed(int32_t& state, std::string_view bytes) const;
  /// The partial boost of `state`.
  double potential(int32_t state) const { return potential_[state]; }

 private:
  std::vector<int32_t> next_;  // [state * 256 + byte] -> state
  std::vector<double> potential_;
  std::vector<double> output_;  // boosts of the phrases that end at a state (through its suffixes)
  int32_t start_ = 0;
};

}  // namespace seqflow::decode
