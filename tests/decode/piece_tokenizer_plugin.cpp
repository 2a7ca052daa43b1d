// TEST DOUBLE of the seqflow.text.tokenizer interface: module `decodetest`, resource
// `decodetest.piece_tokenizer`, built only for the tests (into build/test_plugins, never installed).
//
// The text module's real `text.tokenizer` is developed on another branch; this double lets the decode
// tests exercise decode.ctc_greedy / decode.ctc_beam's tokenizer path through the same interface header
// (plugins/text/include/seqflow/text_tokenizer.h), so that the decode code runs unchanged with the real
// resource. It reads a list of pieces (line i = id i, SentencePiece spelling: "▁" marks a word start),
// treats pieces written <...> as special, and decodes SentencePiece-style: pieces joined, "▁" turned
// into a space, the leading space dropped. It does not encode (SF_ERR_UNSUPPORTED).
#include <seqflow/text_tokenizer.h>
#include <seqflow/sdk.hpp>

#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace {

using namespace seqflow;

class PieceTokenizer : public Resource<PieceTokenizer> {
 public:
  static constexpr Info info{
      "piece_tokenizer", "TEST DOUBLE of seqflow.text.tokenizer over a list of SentencePiece pieces.",
      "[resources.tok]\nplugin = \"decodetest.piece_tokenizer\"\npieces = \"pieces.txt\"\n"};
  static constexpr sf_param_decl params[] = {
      Param::path("pieces", nullptr, "File of pieces, one per line (line i = id i)."),
  };
  static constexpr const char* interfaces[] = {SF_TEXT_TOKENIZER_INTERFACE};

  explicit PieceTokenizer(CreateContext& ctx) {
    const std::string path = ctx.param("pieces").as_string();
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(path + ": cannot open the pieces file", SF_ERR_IO);
    std::string line;
    while (std::getline(in, line)) pieces_.push_back(line);
  }

  bool get_interface(std::string_view name, uint32_t min_version, sf_interface& out) {
    if (name != SF_TEXT_TOKENIZER_INTERFACE || min_version > SF_TEXT_TOKENIZER_VERSION) return false;
    out.name = SF_TEXT_TOKENIZER_INTERFACE;
    out.version = SF_TEXT_TOKENIZER_VERSION;
    out.vtable = &kVtable;
    return true;
  }

 private:
  static const PieceTokenizer& self(const void* t) { return *static_cast<const PieceTokenizer*>(t); }
  bool special(int64_t id) const {
    const std::string& p = pieces_[id];
    return p.size() >= 2 && p.front() == '<' && p.back() == '>';
  }
  static int64_t vocab_size(const void* t) { return static_cast<int64_t>(self(t).pieces_.size()); }
  static int32_t piece(const void* t, int64_t id, const char** data, size_t* size) {
    const auto& p = self(t).pieces_;
    if (id < 0 || id >= static_cast<int64_t>(p.size())) {
      *data = nullptr;
      *size = 0;
      return 0;
    }
    *data = p[id].data();
    *size = p[id].size();
    return 1;
  }
  static int32_t is_special(const void* t, int64_t id) {
    return id >= 0 && id < vocab_size(t) && self(t).special(id) ? 1 : 0;
  }
  static int64_t piece_to_id(const void* t, const char* data, size_t size) {
    const auto& p = self(t).pieces_;
    for (size_t i = 0; i < p.size(); ++i)
      if (p[i] == std::string_view(data, size)) return static_cast<int64_t>(i);
    return -1;
  }
  static sf_status decode(const void* t, const int32_t* ids, size_t count, int32_t skip_special, char* out,
                          size_t capacity, size_t* size, sf_error* err) {
    const PieceTokenizer& k = self(t);
    std::string text;
    for (size_t i = 0; i < count; ++i) {
      if (ids[i] < 0 || ids[i] >= vocab_size(t)) {
        std::snprintf(err->message, sizeof(err->message), "id %d is outside the vocabulary", ids[i]);
        return SF_ERR_INVALID;
      }
      if (skip_special && k.special(ids[i])) continue;
      text += k.pieces_[ids[i]];
    }
    std::string spaced;
    for (size_t i = 0; i < text.size(); ++i) {
      if (text.compare(i, 3, "\xE2\x96\x81") == 0) {
        spaced += ' ';
        i += 2;
      } else {
        spaced += text[i];
      }
    }
    if (!spaced.empty() && spaced[0] == ' ') spaced.erase(0, 1);
    *size = spaced.size();
    if (spaced.size() > capacity) {
      std::snprintf(err->message, sizeof(err->message), "buffer too small");
      return SF_ERR_INVALID;
    }
    std::memcpy(out, spaced.data(), spaced.size());
    return SF_OK;
  }
  static sf_status encode(const void*, const char*, size_t, int32_t, int32_t*, size_t, size_t* count,
                          sf_error* err) {
    *count = 0;
    std::snprintf(err->message, sizeof(err->message), "the piece tokenizer test double does not encode");
    return SF_ERR_UNSUPPORTED;
  }
  static constexpr sf_text_tokenizer_v1 kVtable{
      sizeof(sf_text_tokenizer_v1), &vocab_size, &piece, &is_special, &piece_to_id, &decode, &encode};

  std::vector<std::string> pieces_;
};

}  // namespace

SEQFLOW_MODULE("decodetest", "0.1.0",
               "TEST DOUBLE: a seqflow.text.tokenizer over a piece list, for decode's tests.",
               seqflow::ComponentList<>, seqflow::ResourceList<PieceTokenizer>)
