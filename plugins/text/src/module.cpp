// The text module: the `text.tokenizer` resource (public interface seqflow/text_tokenizer.h) and the
// `text.tokenize` / `text.detokenize` stages, over seqflow_text_core.
//
// text.tokenizer offers two interfaces: seqflow.text.tokenizer v1 for other modules, and
// `seqflow.text.tokenizer_impl`, this module's own handle for its stages (its vtable returns the
// core Tokenizer; only code built with this module may use it).
#include <seqflow/text_tokenizer.h>
#include <seqflow/sdk.hpp>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "tokenizer.hpp"

namespace seqflow::text {
namespace {

constexpr const char* kImplInterface = "seqflow.text.tokenizer_impl";

struct ImplV1 {
  uint32_t struct_size;
  const Tokenizer* (*tokenizer)(const void* object);
};

class TokenizerResource : public Resource<TokenizerResource> {
 public:
  static constexpr Info info{
      "tokenizer",
      "A tokenizer loaded from `path`; the format is recognised from the content: a Hugging Face "
      "tokenizer.json (BPE, WordPiece, Unigram, WordLevel with their normalizers, pre-tokenizers, "
      "post-processors, decoders and added tokens), a tiktoken rank file (base64 token and rank per line; "
      "`encoding` names the split pattern and special tokens), a SentencePiece .model (Unigram or BPE) or "
      "a BERT vocab.txt. Ids equal the reference library's (tokenizers, tiktoken, sentencepiece). A "
      "malformed file or an unsupported component fails the pipeline with the file and the place. Other "
      "modules use it through seqflow/text_tokenizer.h.",
      "[resources.tok]\nplugin = \"text.tokenizer\"\npath = \"models/tokenizer.json\"\n"};
  static constexpr sf_param_decl params[] = {
      Param::path("path", nullptr, "The tokenizer file (relative to the pipeline file)."),
      Param::string("encoding", "\"\"",
                    "tiktoken rank files: the encoding whose split pattern and special tokens to use: "
                    "cl100k_base, o200k_base, r50k_base, p50k_base, p50k_edit or gpt2. Ignored for other "
                    "formats."),
      Param::string("pattern", "\"\"",
                    "tiktoken rank files: the split pattern (overrides the encoding's), PCRE2 syntax as "
                    "tiktoken's pat_str."),
      Param::table("special_tokens", "{}",
                   "tiktoken rank files: special tokens as { \"<|endoftext|>\" = 100257, ... } (replace the "
                   "encoding's)."),
      Param::boolean("lowercase", "true", "BERT vocab.txt: lowercase and strip accents (uncased models)."),
  };
  static constexpr const char* interfaces[] = {SF_TEXT_TOKENIZER_INTERFACE, kImplInterface};

  explicit TokenizerResource(CreateContext& ctx) {
    LoadOptions o;
    o.encoding = ctx.param("encoding").as_string();
    o.pattern = ctx.param("pattern").as_string();
    o.lowercase = ctx.param("lowercase").as_bool();
    const Value st = ctx.param("special_tokens");
    for (size_t i = 0; i < st.size(); ++i) {
      if (st.item(i).kind() != SF_VALUE_INT)
        throw Error("special_tokens.\"" + std::string(st.key(i)) + "\" must be an integer id");
      o.special_tokens.emplace_back(std::string(st.key(i)), static_cast<int32_t>(st.item(i).as_int()));
    }
    try {
      tok_ = load_tokenizer(ctx.param("path").as_string(), o);
    } catch (const TokenizerError& e) {
      throw Error(e.what());
    }
  }

  bool get_interface(std::string_view name, uint32_t min_version, sf_interface& out) {
    if (name == SF_TEXT_TOKENIZER_INTERFACE && min_version <= SF_TEXT_TOKENIZER_VERSION) {
      out.name = SF_TEXT_TOKENIZER_INTERFACE;
      out.version = SF_TEXT_TOKENIZER_VERSION;
      out.vtable = &kPublic;
      return true;
    }
    if (name == kImplInterface && min_version <= 1) {
      out.name = kImplInterface;
      out.version = 1;
      out.vtable = &kImpl;
      return true;
    }
    return false;
  }

  const Tokenizer& tok() const { return *tok_; }

 private:
  static const TokenizerResource& self(const void* o) { return *static_cast<const TokenizerResource*>(o); }
  static sf_status fail(sf_error* err, sf_status code, const std::string& m) {
    if (err != nullptr) std::snprintf(err->message, sizeof(err->message), "%s", m.c_str());
    return code;
  }
  static int64_t vocab_size(const void* o) { return self(o).tok().vocab_size(); }
  static int32_t piece(const void* o, int64_t id, const char** data, size_t* size) {
    const Tokenizer& t = self(o).tok();
    if (id < 0 || id >= t.vocab_size() || t.pieces[id].empty()) {
      *data = nullptr;
      *size = 0;
      return 0;
    }
    *data = t.pieces[id].data();
    *size = t.pieces[id].size();
    return 1;
  }
  static int32_t is_special(const void* o, int64_t id) {
    const Tokenizer& t = self(o).tok();
    return id >= 0 && id < t.vocab_size() && t.special[id] ? 1 : 0;
  }
  static int64_t piece_to_id(const void* o, const char* data, size_t size) {
    const Tokenizer& t = self(o).tok();
    auto it = t.piece_ids.find(std::string(data, size));
    return it == t.piece_ids.end() ? -1 : it->second;
  }
  static sf_status decode(const void* o, const int32_t* ids, size_t count, int32_t skip, char* out,
                          size_t cap, size_t* size, sf_error* err) {
    try {
      const std::string s = self(o).tok().decode(ids, count, skip != 0);
      *size = s.size();
      if (s.size() > cap)
        return fail(err, SF_ERR_INVALID,
                    "output buffer too small: " + std::to_string(s.size()) + " bytes needed");
      if (!s.empty()) std::memcpy(out, s.data(), s.size());
      return SF_OK;
    } catch (const std::exception& e) {
      return fail(err, SF_ERR_INVALID, e.what());
    }
  }
  static sf_status encode(const void* o, const char* text, size_t n, int32_t add, int32_t* ids, size_t cap,
                          size_t* count, sf_error* err) {
    try {
      const Tokenizer& t = self(o).tok();
      Encoding e;
      t.encode(std::string_view(text, n), true, false, e);
      t.post_process(e, add != 0);
      *count = e.ids.size();
      if (e.ids.size() > cap)
        return fail(err, SF_ERR_INVALID,
                    "id buffer too small: " + std::to_string(e.ids.size()) + " ids needed");
      std::copy(e.ids.begin(), e.ids.end(), ids);
      return SF_OK;
    } catch (const std::exception& e) {
      return fail(err, SF_ERR_INVALID, e.what());
    }
  }
  static const Tokenizer* impl(const void* o) { return &self(o).tok(); }

  static constexpr sf_text_tokenizer_v1 kPublic{
      sizeof(sf_text_tokenizer_v1), &vocab_size, &piece, &is_special, &piece_to_id, &decode, &encode};
  static constexpr ImplV1 kImpl{sizeof(ImplV1), &impl};
  std::unique_ptr<Tokenizer> tok_;
};

const Tokenizer& tokenizer_of(CreateContext& ctx) {
  auto [object, iface] = ctx.resource("tokenizer", kImplInterface, 1);
  return *static_cast<const ImplV1*>(iface.vtable)->tokenizer(object);
}

class Tokenize : public Transform<Tokenize> {
 public:
  static constexpr Info info{
      "tokenize",
      "Text -> token ids (i32 [T]) with a text.tokenizer, exactly as the reference library encodes "
      "(Hugging Face tokenizers' encode, tiktoken's encode, SentencePiece's encode). Special-token "
      "strings in the text become their ids (allowed_special = \"all\", Hugging Face's and tiktoken's "
      "allowed_special=\"all\") or are tokenized as text (\"none\"). Text that is not valid UTF-8 fails "
      "its record (tiktoken files: lone surrogates written as WTF-8 become U+FFFD first, as tiktoken "
      "does). With max_length and truncation, a longer record is cut (the special tokens included); "
      "with return_overflowing_tokens the rest comes as more records, windows overlapping by stride "
      "ids, as Hugging Face's return_overflowing_tokens.",
      "[[stage]]\nname = \"tokens\"\nplugin = \"text.tokenize\"\ntokenizer = \"tok\"\ninput = \"text\"\n"
      "output = \"ids\"\n",
      SF_FLAG_THREAD_SAFE | SF_FLAG_SPLITS, 0};
  static constexpr sf_param_decl params[] = {
      Param::resource("tokenizer", kImplInterface, "The text.tokenizer resource to use."),
      Param::field("input", "\"text\"", "String field with the text."),
      Param::field("output", "\"ids\"", "Tensor field for the ids (i32, shape [T])."),
      Param::boolean("add_special_tokens", "true",
                     "Add the tokenizer's special tokens (its post-processor: BERT's [CLS] ... [SEP]; a "
                     "SentencePiece model's bos/eos when it defines them), as Hugging Face's default."),
      Param::string("allowed_special", "\"all\"",
                    "Special-token strings inside the text: \"all\" gives their ids, \"none\" tokenizes "
                    "them as ordinary text.",
                    "all|none"),
      Param::integer("max_length", "0", "Longest output in ids, special tokens included; 0: no limit."),
      Param::string("truncation", "\"none\"",
                    "Which end a record longer than max_length loses: none (no limit), right (keep the "
                    "start) or left (keep the end).",
                    "none|right|left"),
      Param::integer("stride", "0",
                     "Ids shared by consecutive overflowing windows (less than max_length minus the "
                     "special tokens)."),
      Param::boolean("return_overflowing_tokens", "false",
                     "Emit the ids cut by truncation as further records (each a copy of the input record "
                     "with its own window), in order."),
      Param::field("offsets", "\"\"",
                   "If set, a tensor field (i32 [T, 2]) for each id's byte span [begin, end) in the input "
                   "text ([0, 0] for special tokens the post-processor adds)."),
  };
  static constexpr sf_field_decl fields[] = {
      Field::reads("input", "text", SF_FIELD_STRING, SF_DTYPE_ANY, "the text"),
      Field::writes("output", "ids", SF_FIELD_TENSOR, SF_DTYPE_I32, "token ids, shape [T]"),
      Field::writes("offsets", "", SF_FIELD_TENSOR, SF_DTYPE_I32, "byte spans, shape [T, 2] (when set)"),
  };

  explicit Tokenize(CreateContext& ctx)
      : tok_(tokenizer_of(ctx)), input_(ctx.field_param("input")), output_(ctx.field_param("output")) {
    add_special_ = ctx.param("add_special_tokens").as_bool();
    allow_special_ = ctx.param("allowed_special").as_string() == "all";
    const std::string off = ctx.param("offsets").as_string();
    if (!off.empty()) offsets_ = ctx.field(off);
    max_length_ = ctx.param("max_length").as_int();
    stride_ = ctx.param("stride").as_int();
    overflow_ = ctx.param("return_overflowing_tokens").as_bool();
    const std::string tr = ctx.param("truncation").as_string();
    truncation_ = tr == "right" ? 1 : tr == "left" ? 2 : 0;
    if (max_length_ < 0)
      throw Error("max_length = " + std::to_string(max_length_) + " must be 0 (no limit) or more");
    if (truncation_ != 0 && max_length_ == 0) throw Error("truncation = \"" + tr + "\" needs max_length > 0");
    if (truncation_ == 0 && max_length_ > 0)
      throw Error("max_length = " + std::to_string(max_length_) +
                  " needs truncation = \"right\" or \"left\"");
    const int64_t added = add_special_ ? static_cast<int64_t>(tok_.num_added_by_post_processor()) : 0;
    room_ = max_length_ - added;
    if (truncation_ != 0 && room_ <= 0)
      throw Error("max_length = " + std::to_string(max_length_) + " leaves no room for text after the " +
                  std::to_string(added) + " special tokens the tokenizer adds");
    if (stride_ < 0 || (truncation_ != 0 && stride_ >= room_))
      throw Error("stride = " + std::to_string(stride_) +
                  " must be at least 0 and less than max_length minus the " + "special tokens (" +
                  std::to_string(room_) + ")");
  }

  void process(Context& ctx, Record& r) {
    const std::string_view text = r.string(input_);
    Encoding e;
    e.track = static_cast<bool>(offsets_);
    try {
      tok_.encode(text, allow_special_, e.track, e);
    } catch (const TokenizerError& err) {
      throw Error(err.what());
    }
    // The stage may split records (overflow windows), so the host keeps only what it emits: each
    // output is a copy of the input record with its own ids.
    if (truncation_ == 0 || static_cast<int64_t>(e.ids.size()) <= room_) {
      tok_.post_process(e, add_special_);
      Record out = ctx.emit(&r);
      write(out, e);
      ctx.drop(r);
      return;
    }
    // Hugging Face's Encoding::truncate: windows of `room` ids stepping by room - stride.
    const size_t n = e.ids.size(), room = static_cast<size_t>(room_),
                 step = room - static_cast<size_t>(stride_);
    std::vector<std::pair<size_t, size_t>> parts;
    if (truncation_ == 1) {
      for (size_t b = 0; b < n; b += step) {
        const size_t stop = std::min(b + room, n);
        parts.emplace_back(b, stop);
        if (stop == n) break;
      }
    } else {
      for (size_t k = n; k > 0;) {
        const size_t stop = k, b = stop < room ? 0 : stop - room;
        parts.emplace_back(b, stop);
        if (b == 0) break;
        k = stop > step ? stop - step : 0;
      }
    }
    if (!overflow_) parts.resize(1);
    for (const auto& [b, stop] : parts) {
      Encoding w;
      w.track = e.track;
      for (size_t i = b; i < stop; ++i) w.add(e.ids[i], e.track ? e.offsets[i] : Span{});
      tok_.post_process(w, add_special_);
      Record out = ctx.emit(&r);
      write(out, w);
    }
    ctx.drop(r);
  }

 private:
  void write(Record& r, const Encoding& e) {
    const auto t = static_cast<int64_t>(e.ids.size());
    auto ids = r.make_tensor<int32_t>(output_, {t});
    std::copy(e.ids.begin(), e.ids.end(), ids.begin());
    if (offsets_) {
      auto off = r.make_tensor<int32_t>(offsets_, {t, 2});
      for (size_t i = 0; i < e.ids.size(); ++i) {
        off[2 * i] = static_cast<int32_t>(e.offsets[i].begin);
        off[2 * i + 1] = static_cast<int32_t>(e.offsets[i].end);
      }
    }
  }

  const Tokenizer& tok_;
  Slot input_, output_, offsets_;
  bool add_special_ = true, allow_special_ = true, overflow_ = false;
  int64_t max_length_ = 0, stride_ = 0, room_ = 0;
  int truncation_ = 0;
};

class Detokenize : public Transform<Detokenize> {
 public:
  static constexpr Info info{
      "detokenize",
      "Token ids (i32 [T]) -> text with a text.tokenizer's decoder, exactly as the reference library "
      "decodes (byte-level and byte-fallback pieces that split a UTF-8 character are joined first; "
      "bytes that never form one become U+FFFD). An id outside the vocabulary fails its record.",
      "[[stage]]\nname = \"text\"\nplugin = \"text.detokenize\"\ntokenizer = \"tok\"\ninput = \"ids\"\n"
      "output = \"text\"\n",
      SF_FLAG_THREAD_SAFE, 0};
  static constexpr sf_param_decl params[] = {
      Param::resource("tokenizer", kImplInterface, "The text.tokenizer resource to use."),
      Param::field("input", "\"ids\"", "Tensor field with the ids (i32, shape [T])."),
      Param::field("output", "\"text\"", "String field for the text."),
      Param::boolean("skip_special_tokens", "false", "Leave special tokens out of the text."),
  };
  static constexpr sf_field_decl fields[] = {
      Field::reads("input", "ids", SF_FIELD_TENSOR, SF_DTYPE_I32, "token ids, shape [T]"),
      Field::writes("output", "text", SF_FIELD_STRING, SF_DTYPE_ANY, "the text"),
  };

  explicit Detokenize(CreateContext& ctx)
      : tok_(tokenizer_of(ctx)),
        input_(ctx.field_param("input")),
        output_(ctx.field_param("output")),
        skip_(ctx.param("skip_special_tokens").as_bool()) {}

  void process(Context&, Record& r) {
    const Tensor t = r.tensor(input_);
    const auto ids = t.data<int32_t>();
    try {
      r.set_string(output_, tok_.decode(ids.data(), ids.size(), skip_));
    } catch (const TokenizerError& e) {
      throw Error(e.what());
    }
  }

 private:
  const Tokenizer& tok_;
  Slot input_, output_;
  bool skip_;
};

}  // namespace
}  // namespace seqflow::text

namespace {
using Components = seqflow::ComponentList<seqflow::text::Tokenize, seqflow::text::Detokenize>;
using Resources = seqflow::ResourceList<seqflow::text::TokenizerResource>;
}  // namespace

SEQFLOW_MODULE(
    "text", "0.1.0",
    "Tokenizers users already have: Hugging Face tokenizer.json, tiktoken rank files, SentencePiece "
    ".model and BERT vocab.txt, with the reference libraries' ids.",
    Components, Resources)
