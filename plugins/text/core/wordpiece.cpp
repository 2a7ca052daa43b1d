// WordPiece and WordLevel (see models.hpp). WordPiece takes the longest vocabulary entry at each
// position by walking a trie once (Hugging Face retries every shorter substring, the same result).
#include "byte_trie.hpp"
#include "models.hpp"
#include "unicode.hpp"

namespace seqflow::text {
namespace {

class WordPiece : public Model {
 public:
  explicit WordPiece(WordPieceOptions o) : o_(std::move(o)) {
    std::vector<std::pair<std::string, int32_t>> head, cont;
    for (const auto& [k, v] : o_.vocab) {
      head.emplace_back(k, v);
      if (!o_.prefix.empty() && k.compare(0, o_.prefix.size(), o_.prefix) == 0)
        cont.emplace_back(k.substr(o_.prefix.size()), v);
    }
    if (o_.prefix.empty()) cont = head;
    head_.build(head);
    cont_.build(cont);
  }
  void tokenize(std::string_view w, std::vector<TokenOut>& out) const override {
    if (w.empty()) return;
    size_t chars = 0;
    for (unsigned char c : w) chars += (c & 0xC0) != 0x80;
    const size_t mark = out.size();
    if (chars <= o_.max_chars) {
      size_t start = 0;
      while (start < w.size()) {
        int32_t id = -1;
        const size_t len = (start == 0 ? head_ : cont_).longest(w.substr(start), id);
        if (len == 0) break;
        out.push_back({id, static_cast<uint32_t>(start), static_cast<uint32_t>(start + len)});
        start += len;
      }
      if (start == w.size()) return;
    }
    out.resize(mark);
    if (o_.unk >= 0) out.push_back({o_.unk, 0, static_cast<uint32_t>(w.size())});
  }

 private:
  WordPieceOptions o_;
  ByteTrie head_, cont_;
};

class WordLevel : public Model {
 public:
  WordLevel(Vocab v, int32_t unk) : vocab_(std::move(v)), unk_(unk) {}
  void tokenize(std::string_view w, std::vector<TokenOut>& out) const override {
    if (w.empty()) return;
    auto it = vocab_.find(std::string(w));
    const int32_t id = it != vocab_.end() ? it->second : unk_;
    if (id >= 0) out.push_back({id, 0, static_cast<uint32_t>(w.size())});
  }

 private:
  Vocab vocab_;
  int32_t unk_;
};

}  // namespace

ModelPtr make_wordpiece(WordPieceOptions o) { return std::make_unique<WordPiece>(std::move(o)); }
ModelPtr make_wordlevel(Vocab vocab, int32_t unk) {
  return std::make_unique<WordLevel>(std::move(vocab), unk);
}

}  // namespace seqflow::text
