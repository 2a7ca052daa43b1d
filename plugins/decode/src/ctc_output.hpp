// What decode.ctc_greedy and decode.ctc_beam share: the vocabulary (labels file or tokenizer), the input
// matrix, and the fields a hypothesis is written to.
#pragma once

#include "common.hpp"
#include "decode/ctc.hpp"
#include "decode/units.hpp"

#include <seqflow/sdk.hpp>

#include <memory>
#include <string>
#include <vector>

namespace seqflow::decode {

// Parameter declarations common to both CTC stages (the arrays of each class repeat them).
#define SEQFLOW_DECODE_CTC_INPUT_PARAMS                                                                      \
  Param::field("input", "\"logprobs\"",                                                                      \
               "Tensor field with the model's per-frame scores [T, V] (f32, f16 or bf16): log-softmax "      \
               "output, or logits with `logits` = true."),                                                   \
      Param::boolean(                                                                                        \
          "logits", "false",                                                                                 \
          "true: the input holds logits and a log-softmax (in double) is applied to each frame."),           \
      Param::integer("blank", "0", "Index of the CTC blank among the V outputs."),                           \
      sf_param_decl{sizeof(sf_param_decl),                                                                   \
                    "labels",                                                                                \
                    SF_PARAM_PATH,                                                                           \
                    0,                                                                                       \
                    nullptr,                                                                                 \
                    "Vocabulary file: V lines, line i the symbol of output i (the blank's line included). "  \
                    "Give `labels` or `tokenizer`.",                                                         \
                    nullptr,                                                                                 \
                    nullptr},                                                                                \
      Param::string(                                                                                         \
          "word_delimiter", "\"|\"",                                                                         \
          "With `labels`: the symbol that separates words (\"|\" as wav2vec2, \" \" for a space); "          \
          "it is written as a space."),                                                                      \
      sf_param_decl{sizeof(sf_param_decl),                                                                   \
                    "tokenizer",                                                                             \
                    SF_PARAM_RESOURCE,                                                                       \
                    0,                                                                                       \
                    nullptr,                                                                                 \
                    "A resource offering seqflow.text.tokenizer (text.tokenizer) whose ids are the V "       \
                    "outputs (BPE or SentencePiece units); words begin at pieces starting with \"▁\" or "  \
                    "\"Ġ\" (WordPiece: at pieces not starting with \"##\").",                                \
                    nullptr,                                                                                 \
                    SF_TEXT_TOKENIZER_INTERFACE},                                                            \
      Param::real("frame_shift", "0.02", "Seconds between frames, for `word_times`."),                       \
      Param::field("text", "\"text\"", "String field for the transcript."),                                  \
      Param::field("score", "\"score\"", "Float field for the hypothesis's total log score."),               \
      Param::field("ids", "\"ids\"",                                                                         \
                   "Tensor field (i32 [N]) for the labels, blanks removed, repeats merged."),                \
      Param::field("frames", "\"frames\"", "Tensor field (i32 [N]) for each label's frame."),                \
      Param::field("word_times", "\"word_times\"",                                                           \
                   "Tensor field (f32 [W, 2]) for each word's start and end in seconds: frame of its first " \
                   "label x frame_shift, (frame of its last label + 1) x frame_shift.")

#define SEQFLOW_DECODE_CTC_FIELDS                                                               \
  Field::reads("input", "logprobs", SF_FIELD_TENSOR, SF_DTYPE_ANY, "Per-frame scores [T, V]."), \
      Field::writes("text", "text", SF_FIELD_STRING, SF_DTYPE_ANY, "The transcript."),          \
      Field::writes("score", "score", SF_FIELD_FLOAT, SF_DTYPE_ANY, "Total log score."),        \
      Field::writes("ids", "ids", SF_FIELD_TENSOR, SF_DTYPE_I32, "Label ids."),                 \
      Field::writes("frames", "frames", SF_FIELD_TENSOR, SF_DTYPE_I32, "Frame of each label."), \
      Field::writes("word_times", "word_times", SF_FIELD_TENSOR, SF_DTYPE_F32, "Word start/end seconds.")

class CtcCommon {
 public:
  explicit CtcCommon(CreateContext& ctx);
  /// The record's log-probabilities (converted from logits when asked); throws on a shape mismatch.
  LogProbs input(const Record& r);
  /// Writes text, score, ids, frames and word_times.
  void write(Record& r, const CtcHypothesis& h) const;
  const Units& units() const { return *units_; }
  int64_t blank() const { return blank_; }

 private:
  std::string input_name_;
  std::string vocab_source_;
  bool logits_;
  int64_t blank_;
  double frame_shift_;
  std::unique_ptr<Units> units_;
  Slot in_, text_, score_, ids_, frames_, word_times_;
  Matrix matrix_;
  std::vector<float> scratch_;
};

}  // namespace seqflow::decode
