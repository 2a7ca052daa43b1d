// decode.ctc_greedy and decode.ctc_beam: CTC model outputs -> transcripts.
#pragma once

#include "ctc_output.hpp"
#include "decode/arpa_lm.hpp"
#include "decode/ctc.hpp"
#include "decode/hotwords.hpp"

#include <seqflow/sdk.hpp>

#include <memory>

namespace seqflow::decode {

class CtcGreedy : public Transform<CtcGreedy> {
 public:
  static constexpr Info info{
      "ctc_greedy",
      "Best-path CTC decoding: per frame the most probable output (the lower id on ties), repeats merged, "
      "blanks removed. `score` is the exact log-likelihood of the labelling (all its alignments, as "
      "-torch.nn.functional.ctc_loss). Each label's frame is the first frame of its run.",
      R"([[stage]]
name = "decode"
plugin = "decode.ctc_greedy"
input = "logprobs"
labels = "labels.txt"
word_delimiter = "|"
)",
      0, 0};
  static constexpr sf_param_decl params[] = {SEQFLOW_DECODE_CTC_INPUT_PARAMS};
  static constexpr sf_field_decl fields[] = {SEQFLOW_DECODE_CTC_FIELDS};

  explicit CtcGreedy(CreateContext& ctx) : common_(ctx) {}
  void process(Context& ctx, Record& r);

 private:
  CtcCommon common_;
};

class CtcBeam : public Transform<CtcBeam> {
 public:
  static constexpr Info info{
      "ctc_beam",
      "CTC prefix beam search (Hannun et al. 2014): blank and non-blank prefix probabilities in double, "
      "repeated labels extended only across a blank, per-frame candidates pruned by `token_min_logp` (the "
      "frame's best output always kept), prefixes ranked by log P(prefix) + LM + hotword scores, the best "
      "`beam` kept minus those more than |beam_prune_logp| behind. Optional shallow fusion with a word "
      "n-gram LM in ARPA format (alpha * ln P(word | history) + beta per completed word, unk_score for a "
      "word the LM lacks, </s> at the end), a lexicon (other words are never emitted) and hotwords "
      "(Aho-Corasick over the transcript's bytes, whole words; a partial match that fails gives its boost "
      "back). Ties: the lower id sequence first. The acoustic score of each final hypothesis is its exact "
      "CTC log-likelihood. beam = 1 is best-path search: without LM or hotwords, exactly ctc_greedy.",
      R"([[stage]]
name = "decode"
plugin = "decode.ctc_beam"
input = "logprobs"
labels = "labels.txt"
word_delimiter = "|"
beam = 16
lm = "lm/4gram.arpa"
alpha = 0.5
beta = 1.5
hotwords = { "seqflow" = 8.0 }
nbest = 4
)",
      0, 0};
  static constexpr sf_param_decl params[] = {
      SEQFLOW_DECODE_CTC_INPUT_PARAMS,
      Param::integer("beam", "16", "Prefixes kept per frame (1: best-path search)."),
      Param::real("beam_prune_logp", "-10.0",
                  "Prefixes scoring more than this (a negative log) below the best are dropped; -1e30 "
                  "keeps them all."),
      Param::real("token_min_logp", "-5.0",
                  "Outputs below this log-probability in a frame do not extend prefixes (the frame's best "
                  "always does); -1e30 tries every output."),
      Param::integer("nbest", "1", "Hypotheses in the n-best fields."),
      sf_param_decl{sizeof(sf_param_decl), "lm", SF_PARAM_PATH, 0, nullptr,
                    "Word n-gram language model in ARPA format (order up to 6; its words are matched "
                    "exactly, so their case must match the labels')."
                    " Absent: no LM.",
                    nullptr, nullptr},
      Param::real("alpha", "0.5", "LM weight: alpha x ln P(word | history)."),
      Param::real("beta", "1.5", "Bonus per completed word when an LM is used."),
      Param::real("unk_score", "-10.0", "Added for each completed word that the LM does not list."),
      sf_param_decl{sizeof(sf_param_decl), "lexicon", SF_PARAM_PATH, 0, nullptr,
                    "File of allowed words (the first field of each line); prefixes that cannot become one "
                    "are dropped. Absent: any word.",
                    nullptr, nullptr},
      Param::table("hotwords", "{}",
                   "Phrases to favour and their total boosts (natural log): { \"new york\" = 6.0 }. Matched "
                   "as whole words against the transcript's bytes."),
      Param::field("acoustic_score", "\"acoustic_score\"", "Float field: the exact CTC log-likelihood."),
      Param::field("lm_score", "\"lm_score\"",
                   "Float field: LM, word bonus, unk and hotword scores (score = acoustic + lm)."),
      Param::field("nbest_ids", "\"nbest_ids\"",
                   "Tensor field (i32 [K, Lmax]): the n-best label sequences, padded with -1."),
      Param::field("nbest_scores", "\"nbest_scores\"",
                   "Tensor field (f32 [K, 3]): total, acoustic and LM score of each n-best hypothesis."),
      Param::field("nbest_text", "\"nbest_text\"", "String field: the n-best transcripts, one per line."),
  };
  static constexpr sf_field_decl fields[] = {
      SEQFLOW_DECODE_CTC_FIELDS,
      Field::writes("acoustic_score", "acoustic_score", SF_FIELD_FLOAT, SF_DTYPE_ANY, "Acoustic score."),
      Field::writes("lm_score", "lm_score", SF_FIELD_FLOAT, SF_DTYPE_ANY, "LM part of the score."),
      Field::writes("nbest_ids", "nbest_ids", SF_FIELD_TENSOR, SF_DTYPE_I32, "n-best label ids."),
      Field::writes("nbest_scores", "nbest_scores", SF_FIELD_TENSOR, SF_DTYPE_F32, "n-best scores."),
      Field::writes("nbest_text", "nbest_text", SF_FIELD_STRING, SF_DTYPE_ANY, "n-best transcripts."),
  };

  explicit CtcBeam(CreateContext& ctx);
  void process(Context& ctx, Record& r);

 private:
  CtcCommon common_;
  std::shared_ptr<const ArpaLm> lm_;
  std::unique_ptr<Lexicon> lexicon_;
  Hotwords hotwords_;
  std::unique_ptr<CtcBeamSearch> search_;
  Slot acoustic_, lm_score_, nbest_ids_, nbest_scores_, nbest_text_;
};

}  // namespace seqflow::decode
