// Darts-clone common-prefix search over a precompiled_charsmap (see charsmap.hpp).
#include "charsmap.hpp"

#include <cstring>

#include "pipeline.hpp"

namespace seqflow::text {
namespace {
inline bool has_leaf(uint32_t u) { return ((u >> 8) & 1) != 0; }
inline uint32_t value(uint32_t u) { return u & ((1u << 31) - 1); }
inline uint32_t label(uint32_t u) { return u & ((1u << 31) | 0xFF); }
inline uint32_t offset(uint32_t u) { return (u >> 10) << ((u & (1u << 9)) >> 6); }
}  // namespace

CharsMap::CharsMap(std::string_view blob, const std::string& where) {
  if (blob.empty()) return;
  if (blob.size() < 4)
    throw TokenizerError(where + ": precompiled_charsmap is shorter than its 4-byte header");
  uint32_t trie_bytes = 0;
  std::memcpy(&trie_bytes, blob.data(), 4);
  if (trie_bytes % 4 != 0 || trie_bytes > blob.size() - 4 || trie_bytes == 0)
    throw TokenizerError(where + ": precompiled_charsmap declares a trie of " + std::to_string(trie_bytes) +
                         " bytes in a blob of " + std::to_string(blob.size()) + ": the charsmap is damaged");
  units_.resize(trie_bytes / 4);
  std::memcpy(units_.data(), blob.data() + 4, trie_bytes);
  pool_.assign(blob.substr(4 + trie_bytes));
}

size_t CharsMap::search(std::string_view s, std::string_view& repl, bool first) const {
  if (units_.empty()) return 0;
  size_t best_len = 0;
  uint32_t best_value = 0;
  uint64_t node = offset(units_[0]);
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == 0) break;
    node ^= c;
    if (node >= units_.size()) break;
    const uint32_t u = units_[node];
    if (label(u) != c) break;
    node ^= offset(u);
    if (has_leaf(u)) {
      if (node >= units_.size()) break;
      best_len = i + 1;
      best_value = value(units_[node]);
      if (first) break;
    }
  }
  if (best_len == 0 || best_value >= pool_.size()) return 0;
  const char* p = pool_.data() + best_value;
  repl = std::string_view(p, strnlen(p, pool_.size() - best_value));
  return best_len;
}

size_t CharsMap::longest(std::string_view s, std::string_view& repl) const { return search(s, repl, false); }
size_t CharsMap::shortest(std::string_view s, std::string_view& repl) const { return search(s, repl, true); }

}  // namespace seqflow::text
