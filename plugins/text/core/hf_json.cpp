// Loader of Hugging Face tokenizer.json files (see tokenizer.hpp). Every component type the file
// names is built or refused with its JSON path; nothing is silently ignored that changes ids.
#include <nlohmann/json.hpp>

#include "base64.hpp"
#include "models.hpp"
#include "normalizers.hpp"
#include "pre_tokenizers.hpp"
#include "processors.hpp"
#include "tokenizer.hpp"

namespace seqflow::text {
namespace {

using json = nlohmann::json;

struct Ctx {
  std::string path;
  [[noreturn]] void fail(const std::string& where, const std::string& what) const {
    throw TokenizerError(path + ": " + where + ": " + what);
  }
};

const json& member(const Ctx& c, const json& j, const char* key, const std::string& where) {
  if (!j.is_object() || !j.contains(key)) c.fail(where, std::string("missing \"") + key + "\"");
  return j.at(key);
}
std::string get_str(const Ctx& c, const json& j, const char* key, const std::string& where,
                    const char* def = nullptr) {
  if (!j.contains(key) || j.at(key).is_null()) {
    if (def != nullptr) return def;
    c.fail(where, std::string("missing string \"") + key + "\"");
  }
  if (!j.at(key).is_string()) c.fail(where + "." + key, "must be a string");
  return j.at(key).get<std::string>();
}
bool get_bool(const Ctx& c, const json& j, const char* key, const std::string& where, bool def) {
  if (!j.contains(key) || j.at(key).is_null()) return def;
  if (!j.at(key).is_boolean()) c.fail(where + "." + key, "must be true or false");
  return j.at(key).get<bool>();
}
std::string type_of(const Ctx& c, const json& j, const std::string& where) {
  if (!j.is_object()) c.fail(where, "must be an object with a \"type\"");
  return get_str(c, j, "type", where);
}
// {"String": "..."} or {"Regex": "..."}
std::pair<std::string, bool> pattern_of(const Ctx& c, const json& j, const std::string& where) {
  const json& p = member(c, j, "pattern", where);
  if (p.is_object() && p.contains("String") && p.at("String").is_string())
    return {p.at("String").get<std::string>(), false};
  if (p.is_object() && p.contains("Regex") && p.at("Regex").is_string())
    return {p.at("Regex").get<std::string>(), true};
  c.fail(where + ".pattern", "must be {\"String\": ...} or {\"Regex\": ...}");
}

NormalizerPtr normalizer(const Ctx& c, const json& j, const std::string& where) {
  const std::string t = type_of(c, j, where);
  try {
    if (t == "NFC") return make_unicode_normalizer(NormForm::kNfc);
    if (t == "NFD") return make_unicode_normalizer(NormForm::kNfd);
    if (t == "NFKC") return make_unicode_normalizer(NormForm::kNfkc);
    if (t == "NFKD") return make_unicode_normalizer(NormForm::kNfkd);
    if (t == "Lowercase") return make_lowercase();
    if (t == "StripAccents") return make_strip_accents();
    if (t == "Strip")
      return make_strip(get_bool(c, j, "strip_left", where, true),
                        get_bool(c, j, "strip_right", where, true));
    if (t == "Replace") {
      auto [p, re] = pattern_of(c, j, where);
      return make_replace(p, re, get_str(c, j, "content", where));
    }
    if (t == "Prepend") return make_prepend(get_str(c, j, "prepend", where));
    if (t == "BertNormalizer") {
      const bool lower = get_bool(c, j, "lowercase", where, true);
      return make_bert_normalizer(get_bool(c, j, "clean_text", where, true),
                                  get_bool(c, j, "handle_chinese_chars", where, true),
                                  get_bool(c, j, "strip_accents", where, lower), lower);
    }
    if (t == "Precompiled") {
      const json& m = member(c, j, "precompiled_charsmap", where);
      std::string blob;
      if (m.is_string()) {
        if (!base64_decode(m.get<std::string>(), blob))
          c.fail(where + ".precompiled_charsmap", "is not valid base64");
      } else if (m.is_array()) {
        for (const auto& b : m) blob += static_cast<char>(b.get<int>());
      } else if (!m.is_null()) {
        c.fail(where + ".precompiled_charsmap", "must be a base64 string");
      }
      if (blob.empty()) return nullptr;
      return make_precompiled(std::make_shared<CharsMap>(blob, c.path + ": " + where));
    }
    if (t == "Sequence") {
      const json& items = member(c, j, "normalizers", where);
      std::vector<NormalizerPtr> v;
      for (size_t i = 0; i < items.size(); ++i) {
        auto n = normalizer(c, items[i], where + ".normalizers[" + std::to_string(i) + "]");
        if (n) v.push_back(std::move(n));
      }
      return make_sequence(std::move(v));
    }
  } catch (const TokenizerError& e) {
    const std::string m = e.what();
    if (m.rfind(c.path, 0) == 0) throw;
    c.fail(where, m);
  }
  c.fail(where, "unsupported normalizer type \"" + t +
                    "\" (supported: NFC, NFD, NFKC, NFKD, Lowercase, Strip, StripAccents, Replace, Prepend, "
                    "BertNormalizer, Precompiled, Sequence)");
}

int prepend_scheme(const Ctx& c, const json& j, const std::string& where) {
  if (j.contains("prepend_scheme") && j.at("prepend_scheme").is_string()) {
    const std::string s = j.at("prepend_scheme").get<std::string>();
    if (s == "never") return 0;
    if (s == "first") return 1;
    if (s == "always") return 2;
    c.fail(where + ".prepend_scheme", "must be \"always\", \"never\" or \"first\", not \"" + s + "\"");
  }
  return get_bool(c, j, "add_prefix_space", where, true) ? 2 : 0;
}

PreTokenizerPtr pre_tokenizer(const Ctx& c, const json& j, const std::string& where, bool last,
                              bool& byte_level) {
  const std::string t = type_of(c, j, where);
  try {
    if (t == "ByteLevel") {
      if (!last)
        c.fail(where, "a ByteLevel pre-tokenizer followed by another pre-tokenizer is not supported");
      byte_level = true;
      return make_byte_level(get_bool(c, j, "add_prefix_space", where, true),
                             get_bool(c, j, "use_regex", where, true));
    }
    if (t == "Split") {
      auto [p, re] = pattern_of(c, j, where);
      return make_split(p, !re, parse_split_behavior(get_str(c, j, "behavior", where), where + ".behavior"),
                        get_bool(c, j, "invert", where, false));
    }
    if (t == "Whitespace") return make_whitespace();
    if (t == "WhitespaceSplit") return make_whitespace_split();
    if (t == "BertPreTokenizer") return make_bert_pre_tokenizer();
    if (t == "Metaspace")
      return make_metaspace(get_str(c, j, "replacement", where, "\xE2\x96\x81"), prepend_scheme(c, j, where),
                            get_bool(c, j, "split", where, true));
    if (t == "Digits") return make_digits(get_bool(c, j, "individual_digits", where, false));
    if (t == "Punctuation")
      return make_punctuation(
          parse_split_behavior(get_str(c, j, "behavior", where, "Isolated"), where + ".behavior"));
    if (t == "UnicodeScripts") return make_unicode_scripts();
    if (t == "CharDelimiterSplit") {
      return make_split(get_str(c, j, "delimiter", where), true, SplitBehavior::kRemoved, false);
    }
    if (t == "Sequence") {
      const json& items = member(c, j, "pretokenizers", where);
      std::vector<PreTokenizerPtr> v;
      for (size_t i = 0; i < items.size(); ++i)
        v.push_back(pre_tokenizer(c, items[i], where + ".pretokenizers[" + std::to_string(i) + "]",
                                  last && i + 1 == items.size(), byte_level));
      return make_pre_sequence(std::move(v));
    }
  } catch (const TokenizerError& e) {
    const std::string m = e.what();
    if (m.rfind(c.path, 0) == 0) throw;
    c.fail(where, m);
  }
  c.fail(where,
         "unsupported pre-tokenizer type \"" + t +
             "\" (supported: ByteLevel, Split, Whitespace, WhitespaceSplit, BertPreTokenizer, Metaspace, "
             "Digits, Punctuation, UnicodeScripts, CharDelimiterSplit, Sequence)");
}

int32_t special_id(const Ctx& c, const json& pair, const std::string& where) {
  if (!pair.is_array() || pair.size() != 2 || !pair[1].is_number_integer())
    c.fail(where, "must be [\"token\", id]");
  return pair[1].get<int32_t>();
}

PostProcessorPtr post_processor(const Ctx& c, const json& j, const std::string& where) {
  const std::string t = type_of(c, j, where);
  if (t == "ByteLevel") return make_identity_processor();
  if (t == "BertProcessing" || t == "RobertaProcessing") {
    std::vector<TemplateItem> v(3);
    v[0].ids = {special_id(c, member(c, j, "cls", where), where + ".cls")};
    v[1].sequence = true;
    v[2].ids = {special_id(c, member(c, j, "sep", where), where + ".sep")};
    return make_template(std::move(v));
  }
  if (t == "TemplateProcessing") {
    const json& single = member(c, j, "single", where);
    const json& specials = j.contains("special_tokens") ? j.at("special_tokens") : json::object();
    std::vector<TemplateItem> v;
    for (size_t i = 0; i < single.size(); ++i) {
      const json& it = single[i];
      const std::string w = where + ".single[" + std::to_string(i) + "]";
      TemplateItem item;
      if (it.contains("Sequence")) {
        item.sequence = true;
      } else if (it.contains("SpecialToken")) {
        const std::string name = get_str(c, it.at("SpecialToken"), "id", w);
        if (!specials.contains(name)) c.fail(w, "special token \"" + name + "\" is not in special_tokens");
        for (const auto& id : member(c, specials.at(name), "ids", where + ".special_tokens." + name))
          item.ids.push_back(id.get<int32_t>());
      } else {
        c.fail(w, "must be {\"Sequence\": ...} or {\"SpecialToken\": ...}");
      }
      v.push_back(std::move(item));
    }
    return make_template(std::move(v));
  }
  if (t == "Sequence") {
    const json& items = member(c, j, "processors", where);
    std::vector<PostProcessorPtr> v;
    for (size_t i = 0; i < items.size(); ++i)
      v.push_back(post_processor(c, items[i], where + ".processors[" + std::to_string(i) + "]"));
    return make_processor_sequence(std::move(v));
  }
  c.fail(where,
         "unsupported post-processor type \"" + t +
             "\" (supported: TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel, Sequence)");
}

DecoderPtr decoder(const Ctx& c, const json& j, const std::string& where) {
  const std::string t = type_of(c, j, where);
  if (t == "ByteLevel") return make_byte_level_decoder();
  if (t == "WordPiece")
    return make_wordpiece_decoder(get_str(c, j, "prefix", where, "##"),
                                  get_bool(c, j, "cleanup", where, true));
  if (t == "Metaspace")
    return make_metaspace_decoder(get_str(c, j, "replacement", where, "\xE2\x96\x81"),
                                  prepend_scheme(c, j, where));
  if (t == "ByteFallback") return make_byte_fallback_decoder();
  if (t == "Fuse") return make_fuse_decoder();
  if (t == "Strip") {
    const std::string content = get_str(c, j, "content", where);
    return make_strip_decoder(content, j.value("start", 0), j.value("stop", 0));
  }
  if (t == "Replace") {
    auto [p, re] = pattern_of(c, j, where);
    if (re) c.fail(where + ".pattern", "a Regex pattern in the Replace decoder is not supported");
    return make_replace_decoder(p, get_str(c, j, "content", where));
  }
  if (t == "CTC")
    return make_ctc_decoder(get_str(c, j, "pad_token", where, "<pad>"),
                            get_str(c, j, "word_delimiter_token", where, "|"),
                            get_bool(c, j, "cleanup", where, true));
  if (t == "BPEDecoder") return make_bpe_decoder(get_str(c, j, "suffix", where, "</w>"));
  if (t == "Sequence") {
    const json& items = member(c, j, "decoders", where);
    std::vector<DecoderPtr> v;
    for (size_t i = 0; i < items.size(); ++i)
      v.push_back(decoder(c, items[i], where + ".decoders[" + std::to_string(i) + "]"));
    return make_decoder_sequence(std::move(v));
  }
  c.fail(where,
         "unsupported decoder type \"" + t +
             "\" (supported: ByteLevel, WordPiece, Metaspace, ByteFallback, Fuse, Strip, Replace, CTC, "
             "BPEDecoder, Sequence)");
}

Vocab vocab_map(const Ctx& c, const json& m, const std::string& where, Tokenizer& tk) {
  const json& v = member(c, m, "vocab", where);
  if (!v.is_object()) c.fail(where + ".vocab", "must be an object of token: id");
  Vocab out;
  out.reserve(v.size());
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (!it.value().is_number_integer() || it.value().get<int64_t>() < 0 ||
        it.value().get<int64_t>() > INT32_MAX)
      c.fail(where + ".vocab[\"" + it.key() + "\"]", "must be a non-negative integer id");
    const auto id = it.value().get<int32_t>();
    out.emplace(it.key(), id);
    if (static_cast<size_t>(id) >= tk.pieces.size()) tk.pieces.resize(id + 1);
    tk.pieces[id] = it.key();
  }
  return out;
}

int32_t unk_of(const Ctx& c, const json& m, const Vocab& v, const std::string& where) {
  if (!m.contains("unk_token") || m.at("unk_token").is_null()) return -1;
  const std::string u = get_str(c, m, "unk_token", where);
  auto it = v.find(u);
  if (it == v.end()) c.fail(where + ".unk_token", "\"" + u + "\" is not in the vocabulary");
  return it->second;
}

ModelPtr model(const Ctx& c, const json& m, const std::string& where, Tokenizer& tk) {
  std::string t = m.contains("type") ? get_str(c, m, "type", where) : "";
  if (t.empty()) {
    if (m.contains("merges")) t = "BPE";
    else if (m.contains("vocab") && m.at("vocab").is_array()) t = "Unigram";
    else if (m.contains("max_input_chars_per_word")) t = "WordPiece";
    else t = "WordLevel";
  }
  if (t == "BPE") {
    if (m.contains("dropout") && m.at("dropout").is_number() && m.at("dropout").get<double>() > 0)
      c.fail(where + ".dropout",
             "BPE dropout (random merges) is not supported: set it to null for deterministic ids");
    BpeOptions o;
    o.vocab = vocab_map(c, m, where, tk);
    o.unk = unk_of(c, m, o.vocab, where);
    o.fuse_unk = get_bool(c, m, "fuse_unk", where, false);
    o.byte_fallback = get_bool(c, m, "byte_fallback", where, false);
    o.ignore_merges = get_bool(c, m, "ignore_merges", where, false);
    o.prefix = get_str(c, m, "continuing_subword_prefix", where, "");
    o.suffix = get_str(c, m, "end_of_word_suffix", where, "");
    o.byte_level = tk.byte_level;
    const json& merges = member(c, m, "merges", where);
    if (!merges.is_array()) c.fail(where + ".merges", "must be an array");
    std::vector<std::pair<std::string, std::string>> pairs;
    pairs.reserve(merges.size());
    for (size_t i = 0; i < merges.size(); ++i) {
      const json& x = merges[i];
      const std::string w = where + ".merges[" + std::to_string(i) + "]";
      if (x.is_string()) {
        const std::string s = x.get<std::string>();
        const size_t sp = s.find(' ', 1);
        if (sp == std::string::npos || s.find(' ', sp + 1) != std::string::npos)
          c.fail(w, "\"" + s + "\" must be two tokens separated by one space");
        pairs.emplace_back(s.substr(0, sp), s.substr(sp + 1));
      } else if (x.is_array() && x.size() == 2 && x[0].is_string() && x[1].is_string()) {
        pairs.emplace_back(x[0].get<std::string>(), x[1].get<std::string>());
      } else {
        c.fail(w, "must be \"a b\" or [\"a\", \"b\"]");
      }
    }
    for (size_t i = 0; i < pairs.size(); ++i) {
      auto ia = o.vocab.find(pairs[i].first), ib = o.vocab.find(pairs[i].second);
      const std::string w = where + ".merges[" + std::to_string(i) + "]";
      if (ia == o.vocab.end()) c.fail(w, "token \"" + pairs[i].first + "\" is not in the vocabulary");
      if (ib == o.vocab.end()) c.fail(w, "token \"" + pairs[i].second + "\" is not in the vocabulary");
      o.merges.emplace_back(ia->second, ib->second);
    }
    if (o.byte_level) {
      // The model sees raw bytes: re-key the vocabulary by the bytes each entry stands for. Entries
      // outside the byte alphabet (added tokens kept in the vocabulary) are reachable only as added tokens.
      Vocab bytes;
      bytes.reserve(o.vocab.size());
      std::string b;
      for (const auto& [k, id] : o.vocab) {
        b.clear();
        if (byte_level_to_bytes(k, b)) bytes.emplace(b, id);
      }
      // Merges are ids, so they survive the re-keying; the merged entry must be re-keyed the same way.
      o.vocab = std::move(bytes);
    }
    return make_bpe(std::move(o), c.path + ": " + where);
  }
  if (t == "WordPiece") {
    WordPieceOptions o;
    o.vocab = vocab_map(c, m, where, tk);
    o.unk = unk_of(c, m, o.vocab, where);
    o.prefix = get_str(c, m, "continuing_subword_prefix", where, "##");
    o.max_chars = m.value("max_input_chars_per_word", 100);
    return make_wordpiece(std::move(o));
  }
  if (t == "WordLevel") {
    Vocab v = vocab_map(c, m, where, tk);
    const int32_t unk = unk_of(c, m, v, where);
    return make_wordlevel(std::move(v), unk);
  }
  if (t == "Unigram") {
    UnigramOptions o;
    const json& v = member(c, m, "vocab", where);
    if (!v.is_array()) c.fail(where + ".vocab", "must be an array of [piece, score]");
    for (size_t i = 0; i < v.size(); ++i) {
      if (!v[i].is_array() || v[i].size() != 2 || !v[i][0].is_string() || !v[i][1].is_number())
        c.fail(where + ".vocab[" + std::to_string(i) + "]", "must be [\"piece\", score]");
      o.pieces.emplace_back(v[i][0].get<std::string>(), v[i][1].get<double>());
      tk.pieces.push_back(o.pieces.back().first);
    }
    if (m.contains("unk_id") && m.at("unk_id").is_number_integer()) {
      o.unk = m.at("unk_id").get<int32_t>();
      if (o.unk < 0 || static_cast<size_t>(o.unk) >= o.pieces.size())
        c.fail(where + ".unk_id", "is outside the vocabulary");
    }
    o.byte_fallback = get_bool(c, m, "byte_fallback", where, false);
    return make_unigram(std::move(o));
  }
  c.fail(where + ".type",
         "unsupported model type \"" + t + "\" (supported: BPE, WordPiece, WordLevel, Unigram)");
}

}  // namespace

std::unique_ptr<Tokenizer> load_hf_json(const std::string& content, const std::string& path) {
  Ctx c{path};
  json j;
  try {
    j = json::parse(content);
  } catch (const json::parse_error& e) {
    // nlohmann reports "[json.exception.parse_error.101] parse error at line L, column C: ..."
    std::string m = e.what();
    const size_t p = m.find("parse error");
    throw TokenizerError(path + ": not valid JSON (" + (p == std::string::npos ? m : m.substr(p)) +
                         "); the file may be truncated");
  } catch (const json::exception& e) {
    // A number beyond the double range (out_of_range.406) is no parse_error and used to escape the
    // loader without the file's name.
    throw TokenizerError(path + ": not valid JSON (" + e.what() + ")");
  }
  if (!j.is_object()) c.fail("top level", "a tokenizer.json must be a JSON object");
  auto tk = std::make_unique<Tokenizer>();
  tk->format = Format::kHfJson;
  try {
    if (j.contains("normalizer") && !j.at("normalizer").is_null())
      tk->normalizer = normalizer(c, j.at("normalizer"), "normalizer");
    if (j.contains("pre_tokenizer") && !j.at("pre_tokenizer").is_null()) {
      bool bl = false;
      tk->pre_tokenizer = pre_tokenizer(c, j.at("pre_tokenizer"), "pre_tokenizer", true, bl);
      tk->byte_level = bl;
    }
    tk->model = model(c, member(c, j, "model", "top level"), "model", *tk);
    if (tk->byte_level && get_str(c, j.at("model"), "type", "model", "BPE") != "BPE")
      c.fail("pre_tokenizer", "a ByteLevel pre-tokenizer is supported with a BPE model only");
    if (j.contains("post_processor") && !j.at("post_processor").is_null())
      tk->post_processor = post_processor(c, j.at("post_processor"), "post_processor");
    if (j.contains("decoder") && !j.at("decoder").is_null())
      tk->decoder = decoder(c, j.at("decoder"), "decoder");
    tk->special.assign(tk->pieces.size(), 0);
    if (j.contains("added_tokens") && j.at("added_tokens").is_array()) {
      const json& a = j.at("added_tokens");
      for (size_t i = 0; i < a.size(); ++i) {
        const std::string w = "added_tokens[" + std::to_string(i) + "]";
        AddedToken t;
        if (!a[i].contains("id") || !a[i].at("id").is_number_integer() || a[i].at("id").get<int64_t>() < 0)
          c.fail(w, "needs a non-negative integer \"id\"");
        t.id = a[i].at("id").get<int32_t>();
        t.content = get_str(c, a[i], "content", w);
        t.special = get_bool(c, a[i], "special", w, false);
        t.lstrip = get_bool(c, a[i], "lstrip", w, false);
        t.rstrip = get_bool(c, a[i], "rstrip", w, false);
        t.normalized = get_bool(c, a[i], "normalized", w, !t.special);
        t.single_word = get_bool(c, a[i], "single_word", w, false);
        if (static_cast<size_t>(t.id) >= tk->pieces.size()) {
          tk->pieces.resize(t.id + 1);
          tk->special.resize(t.id + 1, 0);
        }
        tk->pieces[t.id] = t.content;
        if (t.special) tk->special[t.id] = 1;
        tk->added.push_back(std::move(t));
      }
    }
  } catch (const json::exception& e) {
    throw TokenizerError(path + ": unexpected JSON value type: " + e.what());
  }
  for (size_t i = 0; i < tk->pieces.size(); ++i)
    if (!tk->pieces[i].empty()) tk->piece_ids.emplace(tk->pieces[i], static_cast<int32_t>(i));
  tk->finalize();
  return tk;
}

}  // namespace seqflow::text
