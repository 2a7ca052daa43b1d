// Fuzz target: tokenizing arbitrary bytes with real tokenizers (text.tokenize / text.detokenize).
//
// The tokenizers are the repository's test fixtures, one per model family (byte-level BPE, WordPiece,
// Unigram with Metaspace, SentencePiece-style BPE with byte fallback, WordLevel, SentencePiece .model
// files) and a small tiktoken rank file the target writes (every byte plus a few merges). The first
// byte picks the tokenizer and the flags; the rest is the text. Checked properties: invalid UTF-8 is a
// TokenizerError, never a crash; every id is inside the vocabulary; offsets lie inside the text; the
// ids decode without error.
#include "fuzz_util.hpp"
#include "tokenizer.hpp"

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace {

using namespace seqflow::text;

std::string tiktoken_ranks() {
  static const char* kB64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  auto b64 = [](std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size(); i += 3) {
      uint32_t v = static_cast<uint8_t>(s[i]) << 16;
      if (i + 1 < s.size()) v |= static_cast<uint8_t>(s[i + 1]) << 8;
      if (i + 2 < s.size()) v |= static_cast<uint8_t>(s[i + 2]);
      out += kB64[(v >> 18) & 63];
      out += kB64[(v >> 12) & 63];
      out += i + 1 < s.size() ? kB64[(v >> 6) & 63] : '=';
      out += i + 2 < s.size() ? kB64[v & 63] : '=';
    }
    return out;
  };
  std::string file;
  int rank = 0;
  for (int b = 0; b < 256; ++b)
    file += b64(std::string(1, static_cast<char>(b))) + " " + std::to_string(rank++) + "\n";
  for (const char* merge : {"he", "ll", "hel", "hell", "hello", " w", " wo", "or", "ld", " world"})
    file += b64(merge) + " " + std::to_string(rank++) + "\n";
  return file;
}

const std::vector<std::unique_ptr<Tokenizer>>& tokenizers() {
  static const std::vector<std::unique_ptr<Tokenizer>> all = [] {
    const std::string fixtures = SEQFLOW_SOURCE_DIR "/tests/text/fixtures/";
    std::vector<std::unique_ptr<Tokenizer>> out;
    for (const char* file :
         {"hf/bytelevel_bpe.json", "hf/wordpiece_sequence.json", "hf/unigram_metaspace.json",
          "hf/spm_bpe_byte_fallback.json", "hf/wordlevel_split_isolated.json", "hf/bert_cased.json",
          "spm/bpe_byte_fallback.model", "spm/unigram_raw_whitespace.model"})
      out.push_back(load_tokenizer(fixtures + file, LoadOptions{}));
    LoadOptions tiktoken;
    tiktoken.encoding = "cl100k_base";
    out.push_back(load_tokenizer(seqflow::fuzz::write_file("small.tiktoken", tiktoken_ranks()), tiktoken));
    return out;
  }();
  return all;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  seqflow::fuzz::Cursor in(data, size);
  const uint8_t option = in.byte();
  const auto& all = tokenizers();
  const Tokenizer& tok = *all[(option & 0x0f) % all.size()];
  const std::string_view text = in.rest();
  Encoding e;
  e.track = (option & 0x10) != 0;
  try {
    tok.encode(text, (option & 0x20) != 0, e.track, e);
  } catch (const TokenizerError&) {
    return 0;
  }
  tok.post_process(e, (option & 0x40) != 0);
  for (int32_t id : e.ids)
    if (id < 0 || id >= tok.vocab_size()) __builtin_trap();
  for (const Span& s : e.offsets)
    if (s.begin > s.end || s.end > text.size()) __builtin_trap();
  (void)tok.decode(e.ids.data(), e.ids.size(), (option & 0x80) != 0);
  return 0;
}
