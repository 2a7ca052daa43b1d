// decode.generate: autoregressive generation over a model offering seqflow.onednn.step.
#pragma once

#include "decode/generate.hpp"

#include <seqflow/onednn_step.h>
#include <seqflow/sdk.hpp>

#include <span>
#include <string>
#include <vector>

namespace seqflow::decode {

class Generate : public Transform<Generate> {
 public:
  static constexpr Info info{
      "generate",
      "Generates tokens with a decoder model (a resource offering seqflow.onednn.step: onednn.model with a "
      "causal layer list), with Hugging Face generate()'s parameter names and semantics: mode greedy, beam "
      "(transformers 5's beam search: length_penalty, early_stopping, num_return_sequences) or sample "
      "(temperature, top_k, top_p, min_p; a counter-based generator keyed by seed, record id, sequence and "
      "step, so that the ids do not depend on threads or batches); repetition_penalty, no_repeat_ngram_size "
      "and min_new_tokens in every mode. Decoder-only: the prompt `ids` are prefilled and generation "
      "continues; encoder-decoder (a model with cross-attention): the decoder attends to the record's "
      "`memory` and starts from decoder_start_token_id (or the prompt ids). The records of one batch "
      "(`batch = { size = N }`) decode in one step session of records x beams rows; a finished record's "
      "rows leave it. Outputs the generated ids only (an eos included, as generate() returns it).",
      R"([[stage]]
name = "generate"
plugin = "decode.generate"
model = "lm"
input = "ids"
output = "generated"
mode = "beam"
num_beams = 4
max_new_tokens = 32
eos_token_id = [50256]
batch = { size = 16 }
)",
      0, 0};
  static constexpr sf_param_decl params[] = {
      Param::resource("model", SF_ONEDNN_STEP_INTERFACE,
                      "A [resources.X] entry offering seqflow.onednn.step whose steps take token ids."),
      Param::field("input", "\"ids\"",
                   "Tensor field (i32 or i64 [L]) with the prompt; \"\" for none (generation starts from "
                   "bos_token_id, or decoder_start_token_id with a memory)."),
      Param::field("memory", "\"\"",
                   "Tensor field (f32 [Tm, memory_dim]) the decoder cross-attends to; required exactly when "
                   "the model has cross-attention."),
      Param::field("output", "\"generated\"",
                   "Tensor field (i32) for the generated ids: [L], or [N, L] padded with -1 when "
                   "num_return_sequences > 1. Not the input's name: a field has one type in a pipeline."),
      Param::field(
          "score", "\"score\"",
          "Float field: the best sequence's score (beam: sum of log-probabilities / length ** "
          "length_penalty, as sequences_scores; greedy and sample: the sum of the log-softmax of the "
          "processed scores of the chosen tokens)."),
      Param::field("scores", "\"scores\"", "Tensor field (f32 [N]): every returned sequence's score."),
      Param::string("mode", "\"greedy\"", "greedy | beam | sample.", "greedy|beam|sample"),
      Param::integer("max_new_tokens", "20", "Tokens to generate at most (an eos included)."),
      Param::integer("min_new_tokens", "0", "The eos ids are banned until this many tokens are generated."),
      Param::array("eos_token_id", "[]", "Ids that end a sequence, as a list: [2] or [50256, 50257]."),
      Param::integer("bos_token_id", "-1", "The first token of a decoder-only record without prompt ids."),
      Param::integer("decoder_start_token_id", "-1",
                     "The first decoder token of an encoder-decoder record without prompt ids."),
      Param::integer("num_beams", "1", "Beams per record in beam mode (at least 2 there)."),
      Param::real("length_penalty", "1.0", "Beam scores are divided by generated_length ** length_penalty."),
      Param::string("early_stopping", "\"false\"",
                    "Beam search: \"true\" stops at num_beams finished hypotheses, \"false\" when no running "
                    "beam can beat them (transformers' heuristic), \"never\" as transformers.",
                    "false|true|never"),
      Param::integer("num_return_sequences", "1", "Sequences returned per record (beam: at most num_beams)."),
      Param::integer("no_repeat_ngram_size", "0", "n > 0: no n-gram occurs twice (prompt included)."),
      Param::real(
          "repetition_penalty", "1.0",
          "> 1 discourages tokens already present (prompt included): score / p, or x p when negative."),
      Param::real("temperature", "1.0", "Sampling: scores are divided by it (> 0)."),
      Param::integer("top_k", "50", "Sampling: keep the k best scores (ties with the k-th kept); 0 = off."),
      Param::real("top_p", "1.0",
                  "Sampling: keep the smallest set of best tokens with probability >= top_p."),
      Param::real("min_p", "0.0", "Sampling: drop tokens less probable than min_p x the best's; 0 = off."),
      Param::integer("seed", "0", "Sampling: the generator's seed."),
  };
  static constexpr sf_field_decl fields[] = {
      Field::reads_optional("input", "ids", SF_FIELD_TENSOR, SF_DTYPE_ANY, "Prompt ids [L]."),
      Field::reads("memory", "memory", SF_FIELD_TENSOR, SF_DTYPE_F32, "Encoder output [Tm, d]."),
      Field::reads(nullptr, "id", SF_FIELD_STRING, SF_DTYPE_ANY, "Keys the sampler."),
      Field::writes("output", "generated", SF_FIELD_TENSOR, SF_DTYPE_I32, "Generated ids."),
      Field::writes("score", "score", SF_FIELD_FLOAT, SF_DTYPE_ANY, "Best score."),
      Field::writes("scores", "scores", SF_FIELD_TENSOR, SF_DTYPE_F32, "All returned scores."),
  };

  explicit Generate(CreateContext& ctx);
  void process_batch(Context& ctx, std::span<Record> records);

 private:
  const void* model_ = nullptr;
  const sf_onednn_step_v1* step_ = nullptr;
  sf_onednn_model_info info_{};
  uint32_t threads_ = 1;
  GenerateOptions opt_;
  int64_t bos_ = -1;
  int64_t start_ = -1;
  std::string input_name_, memory_name_;
  Slot in_, memory_, id_, out_, score_, scores_;
};

}  // namespace seqflow::decode
