// Tokenization models (Hugging Face's models/): BPE (merge ranks, byte-level or character-level,
// also SentencePiece's score-ordered BPE), WordPiece, Unigram (Viterbi over a trie) and WordLevel.
//
// Lifecycle: built by a loader, immutable after. Threading: tokenize() is reentrant; the
// tokenizer keeps the per-thread pre-token cache, not the models. Errors: the loaders check the
// vocabulary; tokenize() cannot fail.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "pipeline.hpp"

namespace seqflow::text {

using Vocab = std::unordered_map<std::string, int32_t>;

struct BpeOptions {
  Vocab vocab;  // in byte mode the keys are raw bytes
  /// Merges in priority order (index = rank); pairs of ids, the result is vocab[a + b].
  std::vector<std::pair<int32_t, int32_t>> merges;
  /// With SentencePiece BPE, ranks are shared by merges of equal score (see sentencepiece.cpp).
  std::vector<uint32_t> ranks;
  int32_t unk = -1;
  bool fuse_unk = false;
  bool byte_fallback = false;
  bool ignore_merges = false;
  bool byte_level = false;  // the pre-token is raw bytes, each byte an initial symbol
  std::string prefix;       // continuing_subword_prefix
  std::string suffix;       // end_of_word_suffix
};
/// `where` names the file for errors (a merge whose result is not in the vocabulary).
ModelPtr make_bpe(BpeOptions o, const std::string& where);

struct WordPieceOptions {
  Vocab vocab;
  int32_t unk = -1;
  std::string prefix = "##";
  size_t max_chars = 100;
};
ModelPtr make_wordpiece(WordPieceOptions o);

struct UnigramOptions {
  std::vector<std::pair<std::string, double>> pieces;  // id = index
  int32_t unk = -1;
  bool byte_fallback = false;
  /// SentencePiece's own encoder: float sums, user-defined pieces scored by length, unused pieces
  /// skipped (Hugging Face sums in double and has neither kind).
  bool spm = false;
  std::vector<uint8_t> user_defined;  // spm only: per id
  /// spm only, per id: 0 usable, 1 unused (in the trie but never chosen), 2 not in the lattice
  /// (control, unknown and byte pieces).
  std::vector<uint8_t> unused;
  bool fuse_unk = true;
};
ModelPtr make_unigram(UnigramOptions o);

ModelPtr make_wordlevel(Vocab vocab, int32_t unk);

}  // namespace seqflow::text
