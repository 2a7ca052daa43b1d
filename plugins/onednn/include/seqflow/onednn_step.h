/*
 * seqflow.onednn.step (version 1): autoregressive decoding over an `onednn.model` resource.
 *
 * What it is: the interface a decoder stage (beam search, sampling) uses to run a model one step at a
 * time. A stage asks for it through the SDK with a RESOURCE parameter:
 *     Param::resource("model", SF_ONEDNN_STEP_INTERFACE, "...")
 *     auto [object, iface] = ctx.resource("model", SF_ONEDNN_STEP_INTERFACE, SF_ONEDNN_STEP_VERSION);
 *     const sf_onednn_step_v1* step = (const sf_onednn_step_v1*)iface.vtable;
 * and passes `object` as the `model` argument below. The model must be causal: embedding or features in,
 * unidirectional LSTM/GRU/RNN, Transformer layers with causal self-attention (encoder layers with
 * `causal = true`, decoder layers), and row-wise layers; info() says why not otherwise.
 *
 * Lifecycle: begin() starts a session of `rows` decoding rows (e.g. batch x beam), holding per-layer
 * state: recurrent h/c, and the keys/values of every past step of each self-attention layer (a step
 * projects only its new token: O(1) new projection work per step), plus the projected memory of
 * cross-attention layers. Each step() consumes one input per row and writes one output row per row,
 * at position 0, 1, 2, ... reorder() makes row i continue old row rows[i] (the beam search's
 * survivors; the row count may change). end() frees the session. The resource outlives every session.
 *
 * Threading: the model is shared read-only; a session is used by one thread at a time; sessions may
 * run concurrently. Each call sets the calling thread's OpenMP thread count to the session's
 * `threads` (oneDNN's intra-op threads; 1 is right under the engine's per-worker parallelism).
 *
 * Ownership: the caller owns every buffer it passes; the session copies what it keeps (memory).
 * `why_not` in sf_onednn_model_info points into the resource and lives as long as it does.
 *
 * Errors: calls return sf_status and fill `err` (SF_ERR_INVALID for bad arguments such as a token id
 * outside the embedding or a row index out of range; SF_ERR_INTERNAL for failures inside oneDNN).
 * A failed step leaves the session usable only for end().
 *
 * Versioning: struct_size comes first in every struct; later versions only append members.
 */
#ifndef SEQFLOW_ONEDNN_STEP_H
#define SEQFLOW_ONEDNN_STEP_H

#include <seqflow/plugin_abi.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SF_ONEDNN_STEP_INTERFACE "seqflow.onednn.step"
#define SF_ONEDNN_STEP_VERSION 1u

typedef struct sf_onednn_session sf_onednn_session;

typedef struct sf_onednn_model_info {
  uint32_t struct_size;
  int32_t takes_tokens; /* 1: step() reads token ids; 0: f32 features of input_dim */
  int64_t input_dim;    /* features per step (0 for token models) */
  int64_t output_dim;   /* floats step() writes per row (the last layer's size: logits, log-probs) */
  int64_t memory_dim;   /* > 0: begin() needs a memory sequence [Tm, memory_dim] per row */
  int32_t can_step;     /* 0: the model is not causal; begin() fails with why_not */
  const char* why_not;  /* "" when can_step */
} sf_onednn_model_info;

typedef struct sf_onednn_step_v1 {
  uint32_t struct_size;
  void (*info)(const void* model, sf_onednn_model_info* out);
  /* `memory`: `rows` f32 tensors [Tm_i, memory_dim] (NULL when memory_dim is 0). */
  sf_status (*begin)(const void* model, uint32_t rows, const sf_tensor_view* memory, uint32_t threads,
                     sf_onednn_session** out, sf_error* err);
  /* One step: `tokens` [rows] (token models) or `features` [rows, input_dim] (the other NULL);
   * writes `out` [rows, output_dim]. */
  sf_status (*step)(sf_onednn_session* session, const int64_t* tokens, const float* features, float* out,
                    sf_error* err);
  /* Row i continues old row rows[i], for i < count; count becomes the session's row count. */
  sf_status (*reorder)(sf_onednn_session* session, const uint32_t* rows, uint32_t count, sf_error* err);
  /* Current row count and the position of the next step. */
  void (*shape)(const sf_onednn_session* session, uint32_t* rows, int64_t* position);
  void (*end)(sf_onednn_session* session);
} sf_onednn_step_v1;

#ifdef __cplusplus
}
#endif

#endif /* SEQFLOW_ONEDNN_STEP_H */
