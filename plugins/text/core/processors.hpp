// Post-processors and decoders (Hugging Face's processors/ and decoders/).
// Lifecycle, threading, errors: as pipeline.hpp.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "pipeline.hpp"

namespace seqflow::text {

/// One item of a template: a special token's ids, or the sequence itself (ids empty).
struct TemplateItem {
  bool sequence = false;
  std::vector<int32_t> ids;
};
/// TemplateProcessing's `single`, BertProcessing, RobertaProcessing ([cls] A [sep]) and the like.
PostProcessorPtr make_template(std::vector<TemplateItem> single);
/// ByteLevel (ids unchanged) and a no-op.
PostProcessorPtr make_identity_processor();
PostProcessorPtr make_processor_sequence(std::vector<PostProcessorPtr> items);

DecoderPtr make_byte_level_decoder();
DecoderPtr make_wordpiece_decoder(const std::string& prefix, bool cleanup);
/// prepend: 0 never, otherwise the first token's leading replacement is dropped.
DecoderPtr make_metaspace_decoder(const std::string& replacement, int prepend);
/// per_char: sentencepiece's decode of invalid byte runs (a U+FFFD per byte that starts no valid character).
DecoderPtr make_byte_fallback_decoder(bool per_char = false);
DecoderPtr make_fuse_decoder();
DecoderPtr make_strip_decoder(const std::string& content, size_t start, size_t stop);
DecoderPtr make_replace_decoder(const std::string& pattern, const std::string& content);
DecoderPtr make_ctc_decoder(const std::string& pad, const std::string& word_delimiter, bool cleanup);
DecoderPtr make_bpe_decoder(const std::string& suffix);
DecoderPtr make_decoder_sequence(std::vector<DecoderPtr> items);

/// Rust's String::from_utf8_lossy (and Python's errors="replace"): each maximal invalid subpart
/// becomes one U+FFFD.
std::string utf8_lossy(const std::string& bytes);

/// The byte <-> character table of GPT-2's byte-level BPE.
const std::vector<char32_t>& byte_to_char();
/// Maps a byte-level token back to bytes; false when a character is outside the table.
bool byte_level_to_bytes(const std::string& token, std::string& out);

}  // namespace seqflow::text
