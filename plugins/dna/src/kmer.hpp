// KmerTokenizer: DNA to k-mer token ids, DNABERT style.
//
// What it is: a rolling 2-bit encoder. Ids: the special tokens first (by default [PAD]=0, [UNK]=1,
// [CLS]=2, [SEP]=3, [MASK]=4), then the 4^k k-mers in lexicographic order (AA..A = 5, AA..C = 6, ...), so
// a k-mer's id is its 2-bit code plus the number of special tokens. A vocabulary file (one token per line,
// id = line index, as DNABERT's vocab.txt) overrides that order: its k-mer lines get their line's id, the
// special tokens are found by name, and k-mers it lacks map to [UNK]. Bases are case-insensitive (U = T);
// a k-mer with any other byte (N, other IUPAC codes, gaps) maps to [UNK]. With `canonical`, a k-mer and
// its reverse complement share the id of the lexicographically smaller one. Windows start at 0, stride,
// 2*stride, ...; only complete k-mers are tokens. `add_cls_sep` frames the ids with [CLS] ... [SEP].
// The loop is one table load, shifts and conditional moves per base: no branch on the base, no allocation.
// Lifecycle: construct once (loading the vocabulary), then count()/encode() any number of times.
// Threading: immutable after construction; safe from any number of threads. Vocabularies loaded from the
// same file with the same options are shared, not loaded again.
// Errors: seqflow::Error from the constructor for a bad option or vocabulary file (naming file and line).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace seqflow::dna {

struct KmerOptions {
  int k = 6;
  int stride = 1;
  bool canonical = false;
  bool add_cls_sep = false;
  std::vector<std::string> special_tokens = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
  std::string unk_token = "[UNK]";
  std::string cls_token = "[CLS]";
  std::string sep_token = "[SEP]";
  std::string vocab_path;  // empty: the implicit order
};

/// Ids of the special tokens and, with a vocabulary file, the code -> id table.
struct KmerVocab {
  int32_t unk = -1;
  int32_t cls = -1;
  int32_t sep = -1;
  int32_t first_kmer = 0;      // implicit order: id of the all-A k-mer
  std::vector<int32_t> table;  // vocabulary file: id of each 2-bit code ([UNK] when absent); else empty
  size_t size = 0;             // number of ids
};

class KmerTokenizer {
 public:
  explicit KmerTokenizer(const KmerOptions& options);

  /// Number of ids for a sequence of n bases.
  size_t count(size_t n) const {
    const size_t k = static_cast<size_t>(opt_.k);
    const size_t kmers = n < k ? 0 : (n - k) / static_cast<size_t>(opt_.stride) + 1;
    return kmers + (opt_.add_cls_sep ? 2 : 0);
  }
  /// Writes count(seq.size()) ids to `out`.
  void encode(std::string_view seq, int32_t* out) const;

  const KmerVocab& vocab() const { return *vocab_; }
  const KmerOptions& options() const { return opt_; }

 private:
  template <bool kCanonical, bool kTable>
  void encode_impl(std::string_view seq, int32_t* out) const;

  KmerOptions opt_;
  std::shared_ptr<const KmerVocab> vocab_;
};

/// The 2-bit code (A=0, C=1, G=2, T=3, first base highest) of a k-mer of A/C/G/T/U in either case;
/// -1 if it holds another byte.
int64_t kmer_code(std::string_view kmer);

}  // namespace seqflow::dna
