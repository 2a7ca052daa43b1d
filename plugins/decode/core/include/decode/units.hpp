// The output units of a CTC model: what each id spells and where words begin.
//
// What it is: decode.ctc_greedy and decode.ctc_beam turn id sequences into text and words through
// Units. Two sources: a labels file (one symbol per line, line i = id i, the blank's line included, a
// configurable word delimiter such as "|" or " "), or a tokenizer offered through the
// seqflow.text.tokenizer interface (BPE or SentencePiece units: a piece starting with "▁" or "Ġ" begins a
// word; for WordPiece vocabularies, any piece not starting with "##" does).
//
// Lifecycle: built once per stage instance; the tokenizer (when used) outlives it.
// Threading: immutable after construction; concurrent use is safe (the tokenizer interface is).
// Ownership: Units copies the labels; it borrows the tokenizer object and vtable.
// Errors: constructors and text() throw std::runtime_error naming the file and line where there is one.
#pragma once

#include <seqflow/text_tokenizer.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace seqflow::decode {

class Units {
 public:
  enum class Kind : uint8_t {
    kPlain,      // continues the current word (or opens one)
    kDelimiter,  // ends the current word, spells nothing (the labels file's word delimiter)
    kWordStart,  // ends the current word and opens a new one (SentencePiece "▁x", byte-level "Ġx")
    kSkip        // spells nothing and does not touch words: the blank, special tokens
  };

  /// Reads a labels file of one symbol per line; `delimiter` is the symbol that separates words ("" for
  /// none). Throws on an unreadable file, an empty line, a symbol listed twice.
  static Units from_labels(const std::string& path, const std::string& delimiter, int64_t blank);
  /// The same from symbols in memory (`where` names them in errors).
  static Units from_symbols(const std::vector<std::string>& symbols, const std::string& delimiter,
                            int64_t blank, const std::string& where);
  /// Units of a tokenizer; `blank` is marked kSkip.
  static Units from_tokenizer(const void* tokenizer, const sf_text_tokenizer_v1* vtable, int64_t blank);

  int64_t size() const { return static_cast<int64_t>(kinds_.size()); }
  Kind kind(int64_t id) const { return kinds_[id]; }
  /// The characters a unit adds to its word (markers "▁", "Ġ", "##" removed).
  std::string_view spelling(int64_t id) const { return spellings_[id]; }
  /// The text of a whole id sequence: words separated by one space (labels), or the tokenizer's own
  /// decoding with special tokens skipped, without a leading space.
  std::string text(const std::vector<int32_t>& ids) const;
  /// The words of `ids` as [first, last] token positions (indices into ids).
  std::vector<std::pair<int32_t, int32_t>> words(const std::vector<int32_t>& ids) const;
  /// The text of ids[first..last] as one word.
  std::string word_text(const std::vector<int32_t>& ids, int32_t first, int32_t last) const;

 private:
  std::vector<Kind> kinds_;
  std::vector<std::string> spellings_;
  const void* tokenizer_ = nullptr;
  const sf_text_tokenizer_v1* vtable_ = nullptr;
};

}  // namespace seqflow::decode
