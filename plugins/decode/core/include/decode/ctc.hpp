// CTC decoding: best-path (greedy) decoding, the exact log-likelihood of a labelling, and the prefix
// beam search of Hannun et al. 2014 (arXiv 1408.2873) with shallow fusion of a word n-gram LM, a lexicon
// and hotwords.
//
// What it is: the algorithms behind decode.ctc_greedy and decode.ctc_beam, free of the SDK so that tests
// call them directly. Input: log-probabilities [T, V] (row-major f32), id `blank`.
//
// Prefix beam search: each hypothesis is a label prefix with two log-probabilities, of the alignments
// ending in blank (pb) and in its last label (pnb); a repeated label extends the prefix only after a
// blank. Per frame, a prefix is extended by the labels whose log-probability is at least
// `token_min_logp` (the frame's most probable label always), candidates are ranked by
//   log(pb + pnb) + lm_score + hotword score
// and the best `beam` kept, minus those more than |beam_prune_logp| below the best. The LM scores a word
// when it is complete: alpha * ln P(word | history) + beta (ARPA back-off; log10 converted to ln); a word
// the LM lacks adds unk_score (and ln P(<unk>) when the LM lists <unk>). At the end of the input the open
// word is completed and alpha * ln P(</s> | history) added. With a lexicon, a prefix whose open word is no
// prefix of a lexicon word, or whose completed word is not in it, is dropped. beam = 1 is best-path
// search: one alignment is kept and each frame extends it by its best-scoring symbol, so that without an
// LM or hotwords it is exactly greedy decoding.
//
// Scores are accumulated in double. Ties are broken by the lower label id first (for whole prefixes:
// the lexicographically smaller id sequence). The acoustic score reported for each final hypothesis is
// its exact CTC log-likelihood (the forward algorithm over all its alignments), so it equals
// -torch.nn.functional.ctc_loss(reduction="sum") whatever was pruned on the way.
//
// Lifecycle: a CtcBeamSearch is built once per stage instance and decodes one input per call.
// Threading: decode() is not reentrant (it reuses buffers); use one instance per thread.
// Ownership: the search borrows Units, the LM, the lexicon and the hotwords; they must outlive it.
// Errors: std::invalid_argument for inputs that do not match (V differs from the units).
#pragma once

#include "decode/arpa_lm.hpp"
#include "decode/hotwords.hpp"
#include "decode/prefix_trie.hpp"
#include "decode/units.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace seqflow::decode {

/// A [T, V] matrix of per-frame log-probabilities.
struct LogProbs {
  const float* data = nullptr;
  int64_t frames = 0;
  int64_t vocab = 0;
  const float* row(int64_t t) const { return data + t * vocab; }
};

/// One decoded labelling.
struct CtcHypothesis {
  std::vector<int32_t> ids;     // labels, blanks removed and repeats merged
  std::vector<int32_t> frames;  // for each label, the frame where it is emitted (the most probable alignment)
  double score = 0;             // acoustic + lm
  double acoustic = 0;          // exact CTC log-likelihood of ids
  double lm = 0;                // alpha * LM + beta * words + unk scores + hotword boosts
};

/// Best-path decoding: per frame the most probable label (lower id on ties), repeats merged, blanks
/// removed. `score` and `acoustic` are the exact log-likelihood of the labelling.
CtcHypothesis ctc_greedy(const LogProbs& lp, int64_t blank);

/// log P(ids | input) summed over all CTC alignments (-inf when no alignment fits in the frames).
double ctc_log_likelihood(const LogProbs& lp, const std::vector<int32_t>& ids, int64_t blank);

/// Words a transcript may contain: one word per line (the first whitespace-separated field, so a Kaldi
/// or flashlight lexicon with spellings works too).
class Lexicon {
 public:
  static Lexicon load(const std::string& path);
  const PrefixTrie& trie() const { return trie_; }
  size_t size() const { return size_; }

 private:
  PrefixTrie trie_;
  size_t size_ = 0;
};

struct CtcBeamOptions {
  int64_t blank = 0;
  int32_t beam = 16;
  double beam_prune_logp = -10.0;
  double token_min_logp = -5.0;
  int32_t nbest = 1;
  double alpha = 0.5;
  double beta = 1.5;
  double unk_score = -10.0;
};

class CtcBeamSearch {
 public:
  CtcBeamSearch(const Units& units, const CtcBeamOptions& options, const ArpaLm* lm, const Lexicon* lexicon,
                const Hotwords* hotwords);
  /// The best `nbest` hypotheses, best first.
  std::vector<CtcHypothesis> decode(const LogProbs& lp);

 private:
  struct Node {
    int32_t parent = -1;
    int32_t token = -1;
    int32_t children = -1;   // its (label, child) list in child_lists_, -1 before the first child
    bool word_open = false;  // a word is being spelled
    bool dead = false;       // rejected by the lexicon
    int32_t open_chars = 0;  // characters of the open word
    int32_t lm_node = 0;     // the open word in the LM's trie (PrefixTrie::kNone: no LM word begins so)
    int32_t lex_node = 0;    // ... in the lexicon's
    int32_t hot_state = 0;
    int32_t words = 0;
    double lm = 0;  // LM, word bonus and unk scores of the completed words
    double hot_bank = 0;
    ArpaLm::State lm_state;
  };
  // The frames of one alignment of a prefix: a chain of emissions, one per label.
  struct Emission {
    int32_t parent;
    int32_t frame;
  };
  struct Cand {
    int32_t node;
    int32_t emit;  // emissions of the prefix's most probable contribution so far
    double pb, pnb, total;
    double best;  // that contribution's log-probability
  };

  int32_t child(int32_t parent, int32_t token);
  int32_t find_child(int32_t parent, int32_t token) const;  // -1 when not made yet
  void complete_word(Node& n) const;
  double bonus(const Node& n) const;
  double open_word_penalty(const Node& n) const;
  bool before(const Cand& a, const Cand& b) const;  // ranking: higher total, then smaller id sequence
  bool ids_less(int32_t a, int32_t b) const;
  std::vector<int32_t> ids_of(int32_t node) const;
  struct End {
    int32_t node, emit;
    double logp;  // the search's log P(prefix)
  };
  std::vector<CtcHypothesis> finish(const LogProbs& lp, const std::vector<End>& ends);
  std::vector<CtcHypothesis> best_path(const LogProbs& lp);

  const Units& units_;
  CtcBeamOptions opt_;
  const ArpaLm* lm_;
  const Lexicon* lexicon_;
  const Hotwords* hot_;
  std::vector<Node> nodes_;
  std::vector<Emission> emits_;
  std::vector<std::vector<std::pair<int32_t, int32_t>>> child_lists_;  // a pool, reused across inputs
  size_t lists_used_ = 0;

  std::vector<Cand> beam_, next_;
  std::vector<int32_t> slot_, stamp_;
  std::vector<int32_t> tokens_;
  std::vector<double> stay_totals_;
  bool prefilter_ = false;
  double word_gain_ = 0;  // the most a completed word can add to a prefix's bonus
};

}  // namespace seqflow::decode
