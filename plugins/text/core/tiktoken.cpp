// Loaders of tiktoken rank files and BERT vocab.txt files (see tokenizer.hpp).
//
// tiktoken: "<base64 bytes> <rank>" per line; the encoding name gives the split pattern and special
// tokens (tiktoken_ext/openai_public.py of tiktoken 0.9-0.12). Byte-pair merging takes the adjacent
// pair whose concatenation has the lowest rank, which is BPE with every split of a token as a merge
// of that token's rank.
#include <algorithm>

#include "base64.hpp"
#include "models.hpp"
#include "normalizers.hpp"
#include "pre_tokenizers.hpp"
#include "processors.hpp"
#include "tokenizer.hpp"

namespace seqflow::text {
namespace {

const char* const kR50kPattern =
    R"('(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s)";
const char* const kCl100kPattern =
    R"('(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s)";
const char* const kO200kPattern =
    R"([^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

struct TiktokenEncoding {
  const char* name;
  const char* pattern;
  std::vector<std::pair<std::string, int32_t>> specials;
};

const std::vector<TiktokenEncoding>& encodings() {
  static const std::vector<TiktokenEncoding> e = {
      {"gpt2", kR50kPattern, {{"<|endoftext|>", 50256}}},
      {"r50k_base", kR50kPattern, {{"<|endoftext|>", 50256}}},
      {"p50k_base", kR50kPattern, {{"<|endoftext|>", 50256}}},
      {"p50k_edit",
       kR50kPattern,
       {{"<|endoftext|>", 50256},
        {"<|fim_prefix|>", 50281},
        {"<|fim_middle|>", 50282},
        {"<|fim_suffix|>", 50283}}},
      {"cl100k_base",
       kCl100kPattern,
       {{"<|endoftext|>", 100257},
        {"<|fim_prefix|>", 100258},
        {"<|fim_middle|>", 100259},
        {"<|fim_suffix|>", 100260},
        {"<|endofprompt|>", 100276}}},
      {"o200k_base", kO200kPattern, {{"<|endoftext|>", 199999}, {"<|endofprompt|>", 200018}}},
  };
  return e;
}

}  // namespace

std::unique_ptr<Tokenizer> load_tiktoken(const std::string& content, const std::string& path,
                                         const LoadOptions& opt) {
  std::string pattern = opt.pattern;
  std::vector<std::pair<std::string, int32_t>> specials = opt.special_tokens;
  if (!opt.encoding.empty()) {
    const TiktokenEncoding* e = nullptr;
    for (const auto& x : encodings())
      if (opt.encoding == x.name) e = &x;
    if (e == nullptr)
      throw TokenizerError(path + ": unknown tiktoken encoding \"" + opt.encoding +
                           "\" (cl100k_base, o200k_base, r50k_base, p50k_base, p50k_edit, gpt2); or give "
                           "`pattern` and `special_tokens`");
    if (pattern.empty()) pattern = e->pattern;
    if (opt.special_tokens.empty()) specials = e->specials;
  }
  if (pattern.empty())
    throw TokenizerError(path +
                         ": a tiktoken rank file needs `encoding` (cl100k_base, o200k_base, ...) or "
                         "`pattern` on the resource");
  auto tk = std::make_unique<Tokenizer>();
  tk->format = Format::kTiktoken;
  BpeOptions o;
  o.byte_level = true;
  std::string bytes;
  size_t line = 0;
  for (size_t at = 0; at < content.size();) {
    size_t nl = content.find('\n', at);
    if (nl == std::string::npos) nl = content.size();
    std::string_view l(content.data() + at, nl - at);
    at = nl + 1;
    ++line;
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    if (l.empty()) continue;
    const size_t sp = l.find(' ');
    const std::string where = path + ":" + std::to_string(line) + ": ";
    if (sp == std::string_view::npos)
      throw TokenizerError(where + "expected \"<base64 token> <rank>\", found no space");
    if (!base64_decode(l.substr(0, sp), bytes) || bytes.empty())
      throw TokenizerError(where + "\"" + std::string(l.substr(0, sp)) + "\" is not valid base64");
    int64_t rank = 0;
    const std::string_view r = l.substr(sp + 1);
    if (r.empty() || r.size() > 10)
      throw TokenizerError(where + "the rank \"" + std::string(r) + "\" is not an integer");
    for (char c : r) {
      if (c < '0' || c > '9')
        throw TokenizerError(where + "the rank \"" + std::string(r) + "\" is not an integer");
      rank = rank * 10 + (c - '0');
    }
    if (rank > INT32_MAX) throw TokenizerError(where + "the rank " + std::string(r) + " is too large");
    if (!o.vocab.emplace(bytes, static_cast<int32_t>(rank)).second)
      throw TokenizerError(where + "the token is listed twice");
    if (static_cast<size_t>(rank) >= tk->pieces.size()) tk->pieces.resize(rank + 1);
    tk->pieces[rank] = bytes;
  }
  if (o.vocab.empty()) throw TokenizerError(path + ": the rank file has no tokens");
  // Every split of a token into two tokens merges into it at the token's rank.
  std::vector<std::pair<int32_t, std::pair<int32_t, int32_t>>> merges;
  for (const auto& [t, rank] : o.vocab) {
    for (size_t k = 1; k < t.size(); ++k) {
      auto a = o.vocab.find(t.substr(0, k));
      if (a == o.vocab.end()) continue;
      auto b = o.vocab.find(t.substr(k));
      if (b == o.vocab.end()) continue;
      merges.push_back({rank, {a->second, b->second}});
    }
  }
  std::sort(merges.begin(), merges.end());
  for (const auto& m : merges) {
    o.merges.push_back(m.second);
    o.ranks.push_back(static_cast<uint32_t>(m.first));
  }
  tk->special.assign(tk->pieces.size(), 0);
  for (const auto& [s, id] : specials) {
    if (id < 0) throw TokenizerError(path + ": special token " + s + " has a negative id");
    if (static_cast<size_t>(id) >= tk->pieces.size()) {
      tk->pieces.resize(id + 1);
      tk->special.resize(id + 1, 0);
    }
    tk->pieces[id] = s;
    tk->special[id] = 1;
    AddedToken a;
    a.content = s;
    a.id = id;
    a.special = true;
    a.normalized = false;
    tk->added.push_back(a);
  }
  tk->model = make_bpe(std::move(o), path);
  tk->pre_tokenizer = make_split(pattern, false, SplitBehavior::kRemoved, true);
  tk->byte_level = true;
  tk->replace_surrogates = true;
  tk->decoder = make_fuse_decoder();
  tk->lossy_decode = true;
  for (size_t i = 0; i < tk->pieces.size(); ++i)
    if (!tk->pieces[i].empty()) tk->piece_ids.emplace(tk->pieces[i], static_cast<int32_t>(i));
  tk->finalize();
  return tk;
}

std::unique_ptr<Tokenizer> load_bert_vocab(const std::string& content, const std::string& path,
                                           const LoadOptions& opt) {
  auto tk = std::make_unique<Tokenizer>();
  tk->format = Format::kBertVocab;
  WordPieceOptions o;
  size_t line = 0;
  for (size_t at = 0; at < content.size();) {
    size_t nl = content.find('\n', at);
    if (nl == std::string::npos) nl = content.size();
    std::string tok = content.substr(at, nl - at);
    at = nl + 1;
    if (!tok.empty() && tok.back() == '\r') tok.pop_back();
    if (!valid_utf8(tok))
      throw TokenizerError(path + ":" + std::to_string(line + 1) +
                           ": the token is not valid UTF-8 (a vocab.txt is UTF-8 text)");
    o.vocab[tok] = static_cast<int32_t>(line);
    tk->pieces.push_back(tok);
    ++line;
  }
  auto id_of = [&](const char* s) {
    auto it = o.vocab.find(s);
    return it == o.vocab.end() ? -1 : it->second;
  };
  o.unk = id_of("[UNK]");
  if (o.unk < 0) throw TokenizerError(path + ": a BERT vocab.txt needs an [UNK] line");
  tk->special.assign(tk->pieces.size(), 0);
  for (const char* s : {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}) {
    const int32_t id = id_of(s);
    if (id < 0) continue;
    AddedToken a;
    a.content = s;
    a.id = id;
    a.special = true;
    a.normalized = false;
    tk->added.push_back(a);
    tk->special[id] = 1;
  }
  tk->normalizer = make_bert_normalizer(true, true, opt.lowercase, opt.lowercase);
  tk->pre_tokenizer = make_bert_pre_tokenizer();
  const int32_t cls = id_of("[CLS]"), sep = id_of("[SEP]");
  if (cls >= 0 && sep >= 0) tk->post_processor = make_template({{false, {cls}}, {true, {}}, {false, {sep}}});
  tk->decoder = make_wordpiece_decoder("##", true);
  tk->model = make_wordpiece(std::move(o));
  for (size_t i = 0; i < tk->pieces.size(); ++i)
    tk->piece_ids.emplace(tk->pieces[i], static_cast<int32_t>(i));
  tk->finalize();
  return tk;
}

}  // namespace seqflow::text
