// Autoregressive generation with Hugging Face generate()'s semantics: greedy search, beam search and
// sampling over a model stepped one token at a time.
//
// What it is: the algorithm of decode.generate, free of the SDK. A StepModel runs the decoder: one
// token per row per step, rows reordered between steps (the interface seqflow.onednn.step offers).
// Requests (one per record) decode together in one session: every request starts at position 0; a
// request prefills its prompt one token per step on one row while others may already generate; at its
// prompt's last token it expands to `num_beams` rows (beam search) or `num_return_sequences` rows
// (sampling); a request that is done gives its rows up, so later steps are narrower.
//
// Logits processing, in Hugging Face's order: repetition_penalty (over the prompt and the generated
// tokens), no_repeat_ngram_size, min_new_tokens (eos banned), then for sampling temperature, top_k (ties
// at the k-th value kept), top_p, min_p. Greedy search and sampling process the logits; beam search
// processes log_softmax(logits), as transformers does. Beam search follows transformers 5's
// _beam_search: 2 x num_beams (more with several eos ids) candidates per step, a candidate ending in eos
// (or at max_new_tokens) finishes when it ranks among the first num_beams with score
// sum_logprobs / generated_length ** length_penalty, early_stopping True | False | "never" as there.
//
// Determinism: scores in double; ties go to the lower (beam, token) index; sampling draws one uniform
// number per row and step from a counter-based generator keyed by (seed, request key, sequence index,
// step), by inverse CDF over the ids in ascending order: the same ids at any thread count and batch
// composition (up to the model's own floating-point results).
//
// Lifecycle: `generate` runs one session from begin() to end().
// Threading: one call per StepModel at a time. Ownership: the caller owns the model, the requests and
// their memory views, which must outlive the call.
// Errors: std::invalid_argument for bad requests; whatever the StepModel throws propagates.
#pragma once

#include <seqflow/plugin_abi.h>

#include <cstdint>
#include <string>
#include <vector>

namespace seqflow::decode {

/// A decoder stepped one token per row (seqflow.onednn.step, or a test's model).
class StepModel {
 public:
  virtual ~StepModel() = default;
  /// Floats per row of step() output.
  virtual int64_t vocab() const = 0;
  /// Starts a session of `rows` rows; `memory` holds one tensor per row (empty without memory).
  virtual void begin(uint32_t rows, const std::vector<sf_tensor_view>& memory) = 0;
  /// One token per row in, one row of logits per row out ([rows, vocab]).
  virtual void step(const std::vector<int64_t>& tokens, std::vector<float>& logits) = 0;
  /// Row i continues old row rows[i].
  virtual void reorder(const std::vector<uint32_t>& rows) = 0;
  virtual void end() = 0;
};

enum class GenMode { kGreedy, kBeam, kSample };
enum class EarlyStopping { kFalse, kTrue, kNever };

struct GenerateOptions {
  GenMode mode = GenMode::kGreedy;
  int64_t max_new_tokens = 20;
  int64_t min_new_tokens = 0;
  std::vector<int64_t> eos;
  int32_t num_beams = 1;
  double length_penalty = 1.0;
  EarlyStopping early_stopping = EarlyStopping::kFalse;
  int32_t num_return_sequences = 1;
  int32_t no_repeat_ngram_size = 0;
  double repetition_penalty = 1.0;
  double temperature = 1.0;
  int64_t top_k = 50;
  double top_p = 1.0;
  double min_p = 0.0;
  uint64_t seed = 0;
};

struct GenerateRequest {
  std::vector<int64_t> prompt;  // at least one token (the bos or decoder start token when nothing else)
  sf_tensor_view memory{};      // used when the model has memory
  uint64_t key = 0;             // the record's identity for the sampler
};

struct GenerateResult {
  std::vector<std::vector<int64_t>> sequences;  // generated tokens only, best first
  std::vector<double> scores;
};

/// Runs every request to completion in one session of `model`.
std::vector<GenerateResult> generate(StepModel& model, const GenerateOptions& options,
                                     const std::vector<GenerateRequest>& requests, bool with_memory);

/// The processed scores of one row (exposed for tests): `context` is the prompt plus the generated
/// tokens, `generated` how many of them were generated; `log_softmax_first` as beam search does.
void process_logits(const GenerateOptions& o, const std::vector<int64_t>& context, int64_t generated,
                    bool log_softmax_first, std::vector<double>& scores);

/// The sampler's uniform number in [0, 1) for (seed, key, sequence, step).
double sample_uniform(uint64_t seed, uint64_t key, uint64_t sequence, uint64_t step);

/// FNV-1a of a record id: the request key.
uint64_t request_key(const std::string& id);

}  // namespace seqflow::decode
