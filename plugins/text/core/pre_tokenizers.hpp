// Pre-tokenizers (Hugging Face's pre_tokenizers/): each splits every range of a Pieces further, and
// Metaspace also rewrites the text. Lifecycle, threading, errors: as pipeline.hpp.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "pipeline.hpp"
#include "regex.hpp"

namespace seqflow::text {

/// How a split treats the delimiters it finds (Hugging Face's SplitDelimiterBehavior).
enum class SplitBehavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };
SplitBehavior parse_split_behavior(const std::string& name, const std::string& where);

/// Split on a regex (or a literal when `literal` is set); `invert` makes the matches the pieces.
PreTokenizerPtr make_split(const std::string& pattern, bool literal, SplitBehavior b, bool invert);
/// ByteLevel's part before the model: an optional leading space and, with use_regex, GPT-2's split.
/// (The byte-to-character mapping is folded into the byte-level model's vocabulary.)
PreTokenizerPtr make_byte_level(bool add_prefix_space, bool use_regex);
PreTokenizerPtr make_whitespace();
PreTokenizerPtr make_whitespace_split();
PreTokenizerPtr make_bert_pre_tokenizer();
/// prepend: 0 never, 1 first, 2 always.
PreTokenizerPtr make_metaspace(const std::string& replacement, int prepend, bool split);
PreTokenizerPtr make_digits(bool individual);
PreTokenizerPtr make_punctuation(SplitBehavior b);
PreTokenizerPtr make_unicode_scripts();
PreTokenizerPtr make_pre_sequence(std::vector<PreTokenizerPtr> items);

/// Tells Metaspace (prepend_scheme "first") whether the segment about to be split starts the input.
void set_metaspace_first(bool first);

/// GPT-2's split pattern, as ByteLevel(use_regex) applies it.
extern const char* const kGpt2Pattern;

}  // namespace seqflow::text
