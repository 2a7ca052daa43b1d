// SentencePiece's precompiled_charsmap: a Darts-clone double-array trie over UTF-8 keys whose
// values index a pool of NUL-terminated replacement strings.
//
// What: the blob layout is [u32 trie size in bytes][trie units][replacement pool]. Lifecycle: parsed
// once; Threading: immutable. Errors: a blob that does not parse throws TokenizerError (the caller
// adds the file name); look-ups never read outside the blob.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace seqflow::text {

class CharsMap {
 public:
  CharsMap() = default;
  /// Parses the blob; `where` prefixes error messages.
  CharsMap(std::string_view blob, const std::string& where);
  bool empty() const { return units_.empty(); }
  /// Longest rule matching a prefix of `s`: its byte length (0: none) and replacement.
  size_t longest(std::string_view s, std::string_view& repl) const;
  /// Shortest rule matching a prefix of `s` (Hugging Face's Precompiled uses it), as longest().
  size_t shortest(std::string_view s, std::string_view& repl) const;

 private:
  size_t search(std::string_view s, std::string_view& repl, bool first) const;
  std::vector<uint32_t> units_;
  std::string pool_;
};

}  // namespace seqflow::text
