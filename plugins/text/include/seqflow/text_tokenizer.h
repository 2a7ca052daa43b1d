/*
 * seqflow.text.tokenizer (version 1): a loaded tokenizer offered by the `text.tokenizer` resource.
 *
 * What it is: the interface through which another module (decode's CTC decoders and generation, a
 * third party's stage) uses a tokenizer that the text module loaded, without linking the text module.
 * A stage asks for it through the SDK with a RESOURCE parameter:
 *     Param::resource("tokenizer", SF_TEXT_TOKENIZER_INTERFACE, "...")
 *     auto [object, iface] = ctx.resource("tokenizer", SF_TEXT_TOKENIZER_INTERFACE, SF_TEXT_TOKENIZER_VERSION);
 *     const sf_text_tokenizer_v1* tok = (const sf_text_tokenizer_v1*)iface.vtable;
 * and passes `object` as the `tokenizer` argument of every call below.
 *
 * Lifecycle: the resource is created once per pipeline and outlives every stage that uses it.
 *
 * Threading: every function may be called concurrently from any number of threads (the tokenizer is
 * immutable; any cache it keeps is per thread or internally synchronised).
 *
 * Ownership: the caller owns the buffers it passes. Pointers returned by piece() point into the
 * resource and live as long as it does.
 *
 * Errors: calls that can fail return sf_status and fill `err` (SF_ERR_INVALID for an id outside the
 * vocabulary or a buffer too small: then `*size`/`*count` holds the size needed and nothing else is
 * promised about the buffer, so the caller grows it and calls again).
 *
 * Versioning: struct_size comes first; later versions only append members.
 */
#ifndef SEQFLOW_TEXT_TOKENIZER_H
#define SEQFLOW_TEXT_TOKENIZER_H

#include <seqflow/plugin_abi.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SF_TEXT_TOKENIZER_INTERFACE "seqflow.text.tokenizer"
#define SF_TEXT_TOKENIZER_VERSION 1u

typedef struct sf_text_tokenizer_v1 {
  uint32_t struct_size;
  /* Number of ids: one more than the largest id in the vocabulary or among the added tokens. */
  int64_t (*vocab_size)(const void* tokenizer);
  /* The vocabulary entry of `id` as stored in the file ("Ġthe", "▁the", "##ing", "<0x0A>", "<s>"),
   * in UTF-8. Returns 0 and sets *data = NULL, *size = 0 when `id` has no entry (a hole). */
  int32_t (*piece)(const void* tokenizer, int64_t id, const char** data, size_t* size);
  /* 1 when `id` is a special (control or added special) token, 0 otherwise. */
  int32_t (*is_special)(const void* tokenizer, int64_t id);
  /* The id of the vocabulary entry spelled `data` exactly (as piece() returns it), or -1. */
  int64_t (*piece_to_id)(const void* tokenizer, const char* data, size_t size);
  /* ids -> text exactly as the reference library decodes them (the file's decoder: byte-level and
   * byte-fallback pieces joined into whole UTF-8 characters, WordPiece "##" joins, Metaspace). */
  sf_status (*decode)(const void* tokenizer, const int32_t* ids, size_t count, int32_t skip_special_tokens,
                      char* out, size_t capacity, size_t* size, sf_error* err);
  /* text -> ids exactly as the reference library encodes them; add_special_tokens as Hugging Face's. */
  sf_status (*encode)(const void* tokenizer, const char* text, size_t size, int32_t add_special_tokens,
                      int32_t* ids, size_t capacity, size_t* count, sf_error* err);
} sf_text_tokenizer_v1;

#ifdef __cplusplus
}
#endif

#endif /* SEQFLOW_TEXT_TOKENIZER_H */
