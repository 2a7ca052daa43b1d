#include "decode/hotwords.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <stdexcept>

namespace seqflow::decode {

Hotwords::Hotwords(const std::vector<std::pair<std::string, double>>& phrases) {
  // The trie, with goto edges in a dense table (-1: none yet).
  std::vector<int32_t> go(256, -1);
  std::vector<int32_t> depth{0};
  potential_.assign(1, 0.0);
  output_.assign(1, 0.0);
  for (const auto& [raw, boost] : phrases) {
    // One space between words, none at the ends.
    std::string phrase;
    for (char c : raw) {
      if (c == ' ' || c == '\t') {
        if (!phrase.empty() && phrase.back() != ' ') phrase += ' ';
      } else {
        phrase += c;
      }
    }
    while (!phrase.empty() && phrase.back() == ' ') phrase.pop_back();
    if (phrase.empty()) throw std::invalid_argument("hotwords: a phrase is empty");
    if (!std::isfinite(boost))
      throw std::invalid_argument("hotwords: the boost of '" + raw + "' is not a finite number");
    const std::string pattern = " " + phrase + " ";
    const double len = static_cast<double>(pattern.size() - 1);  // the leading space earns nothing
    int32_t s = 0;
    for (size_t i = 0; i < pattern.size(); ++i) {
      const auto b = static_cast<unsigned char>(pattern[i]);
      if (go[s * 256 + b] < 0) {
        go[s * 256 + b] = static_cast<int32_t>(depth.size());
        depth.push_back(depth[s] + 1);
        go.resize(go.size() + 256, -1);
        potential_.push_back(0.0);
        output_.push_back(0.0);
      }
      s = go[s * 256 + b];
      if (i + 1 < pattern.size())
        potential_[s] = std::max(potential_[s], boost * static_cast<double>(i) / len);
    }
    output_[s] += boost;
  }
  // Breadth-first: failure links, the full transition table, outputs summed along suffixes.
  const size_t n = depth.size();
  next_.assign(n * 256, 0);
  std::vector<int32_t> fail(n, 0);
  std::deque<int32_t> queue;
  for (int b = 0; b < 256; ++b) {
    const int32_t t = go[b];
    next_[b] = t < 0 ? 0 : t;
    if (t > 0) queue.push_back(t);
  }
  while (!queue.empty()) {
    const int32_t s = queue.front();
    queue.pop_front();
    output_[s] += output_[fail[s]];  // fail[s] is shallower: already complete
    for (int b = 0; b < 256; ++b) {
      const int32_t t = go[s * 256 + b];
      if (t >= 0) {
        fail[t] = next_[fail[s] * 256 + b];
        next_[s * 256 + b] = t;
        queue.push_back(t);
      } else {
        next_[s * 256 + b] = next_[fail[s] * 256 + b];
      }
    }
  }
  start_ = next_[' '];
}

double Hotwords::feed(int32_t& state, std::string_view bytes) const {
  double gained = 0;
  for (char c : bytes) {
    state = next_[static_cast<size_t>(state) * 256 + static_cast<unsigned char>(c)];
    gained += output_[state];
  }
  return gained;
}

}  // namespace seqflow::decode
