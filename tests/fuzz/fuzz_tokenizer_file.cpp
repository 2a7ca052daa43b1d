// Fuzz target: text.tokenizer's loaders (Hugging Face tokenizer.json, tiktoken rank files, SentencePiece
// .model, BERT vocab.txt; the format is recognised from the content) and the loaded tokenizer at work.
//
// The input is an option byte, the file, then optionally "\n--text--\n" and a text to tokenize. The
// option byte picks the tiktoken encoding (none, r50k_base, cl100k_base, o200k_base), vocab.txt's
// lowercasing, whether special tokens are allowed and whether offsets are tracked. A file that loads is
// then used: encode, post-process, decode of the ids it gave, as text.tokenize and text.detokenize do.
// Checked properties: a bad file is a TokenizerError naming the file; every id encode gives is inside
// the vocabulary, so decoding them never fails; offsets lie inside the text.
#include "fuzz_util.hpp"
#include "tokenizer.hpp"

#include <string>

namespace {

void use(const seqflow::text::Tokenizer& tok, std::string_view text, uint8_t option) {
  using namespace seqflow::text;
  Encoding e;
  e.track = (option & 0x10) != 0;
  try {
    tok.encode(text, (option & 0x20) != 0, e.track, e);
  } catch (const TokenizerError&) {
    return;  // invalid UTF-8: the record fails, with a message
  }
  tok.post_process(e, (option & 0x40) != 0);
  for (int32_t id : e.ids)
    if (id < 0 || id >= tok.vocab_size()) __builtin_trap();
  for (const Span& s : e.offsets)
    if (s.begin > s.end || s.end > text.size()) __builtin_trap();
  (void)tok.decode(e.ids.data(), e.ids.size(), (option & 0x80) != 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace seqflow::text;
  static const char* kEncodings[] = {"", "r50k_base", "cl100k_base", "o200k_base"};
  seqflow::fuzz::Cursor in(data, size);
  const uint8_t option = in.byte();
  LoadOptions opt;
  opt.encoding = kEncodings[option & 3];
  opt.lowercase = (option & 4) != 0;
  const std::string path = seqflow::fuzz::write_file("tokenizer", in.part("\n--text--\n"));
  std::unique_ptr<Tokenizer> tok;
  try {
    tok = load_tokenizer(path, opt);
  } catch (const TokenizerError& e) {
    if (std::string_view(e.what()).find(path) == std::string_view::npos) __builtin_trap();
    return 0;
  }
  use(*tok, in.rest(), option);
  use(*tok, "Hello, world! 123 \xc3\xa9t\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87  tabs\tand\nlines", option);
  return 0;
}
