#include "decode/units.hpp"

#include <fstream>
#include <stdexcept>
#include <unordered_map>

namespace seqflow::decode {
namespace {

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

constexpr std::string_view kSentencePieceSpace = "\xE2\x96\x81";  // U+2581
constexpr std::string_view kByteLevelSpace = "\xC4\xA0";          // U+0120

std::string strip(std::string s) {
  size_t a = 0, b = s.size();
  while (a < b && s[a] == ' ') ++a;
  while (b > a && s[b - 1] == ' ') --b;
  return s.substr(a, b - a);
}

}  // namespace

Units Units::from_labels(const std::string& path, const std::string& delimiter, int64_t blank) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open the labels file; check the `labels` path");
  std::vector<std::string> symbols;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    symbols.push_back(line);
  }
  return from_symbols(symbols, delimiter, blank, path);
}

Units Units::from_symbols(const std::vector<std::string>& symbols, const std::string& delimiter,
                          int64_t blank, const std::string& where) {
  Units u;
  std::unordered_map<std::string, size_t> seen;
  for (size_t i = 0; i < symbols.size(); ++i) {
    const std::string& s = symbols[i];
    const std::string at = where + ":" + std::to_string(i + 1) + ": ";
    if (s.empty())
      throw std::runtime_error(at +
                               "empty label; every line names the symbol of one output index (a space "
                               "delimiter is written as a line holding one space)");
    auto [it, fresh] = seen.emplace(s, i + 1);
    if (!fresh)
      throw std::runtime_error(at + "label '" + s + "' is also on line " + std::to_string(it->second) +
                               "; labels must be distinct");
    const bool is_delim = !delimiter.empty() && s == delimiter;
    u.kinds_.push_back(is_delim ? Kind::kDelimiter : Kind::kPlain);
    u.spellings_.push_back(is_delim ? std::string() : s);
  }
  if (u.kinds_.empty()) throw std::runtime_error(where + ": the labels file is empty");
  if (blank >= 0 && blank < u.size()) {
    u.kinds_[blank] = Kind::kSkip;
    u.spellings_[blank].clear();
  }
  return u;
}

Units Units::from_tokenizer(const void* tokenizer, const sf_text_tokenizer_v1* vtable, int64_t blank) {
  Units u;
  u.tokenizer_ = tokenizer;
  u.vtable_ = vtable;
  const int64_t n = vtable->vocab_size(tokenizer);
  if (n <= 0) throw std::runtime_error("the tokenizer reports an empty vocabulary");
  std::vector<std::string> pieces(n);
  bool wordpiece = false;
  for (int64_t i = 0; i < n; ++i) {
    const char* d = nullptr;
    size_t s = 0;
    if (vtable->piece(tokenizer, i, &d, &s) && d != nullptr) pieces[i].assign(d, s);
    if (starts_with(pieces[i], "##")) wordpiece = true;
  }
  u.kinds_.resize(n);
  u.spellings_.resize(n);
  for (int64_t i = 0; i < n; ++i) {
    const std::string& p = pieces[i];
    if (i == blank || p.empty() || vtable->is_special(tokenizer, i)) {
      u.kinds_[i] = Kind::kSkip;
    } else if (wordpiece) {
      const bool cont = starts_with(p, "##");
      u.kinds_[i] = cont ? Kind::kPlain : Kind::kWordStart;
      u.spellings_[i] = cont ? p.substr(2) : p;
    } else if (starts_with(p, kSentencePieceSpace)) {
      u.kinds_[i] = Kind::kWordStart;
      u.spellings_[i] = p.substr(kSentencePieceSpace.size());
    } else if (starts_with(p, kByteLevelSpace)) {
      u.kinds_[i] = Kind::kWordStart;
      u.spellings_[i] = p.substr(kByteLevelSpace.size());
    } else {
      u.kinds_[i] = Kind::kPlain;
      u.spellings_[i] = p;
    }
  }
  return u;
}

std::vector<std::pair<int32_t, int32_t>> Units::words(const std::vector<int32_t>& ids) const {
  std::vector<std::pair<int32_t, int32_t>> out;
  int32_t open = -1, last = -1;
  auto close = [&] {
    if (open >= 0) out.emplace_back(open, last);
    open = -1;
  };
  for (int32_t i = 0; i < static_cast<int32_t>(ids.size()); ++i) {
    switch (kinds_[ids[i]]) {
      case Kind::kSkip: break;
      case Kind::kDelimiter: close(); break;
      case Kind::kWordStart:
        close();
        open = last = i;
        break;
      case Kind::kPlain:
        if (open < 0) open = i;
        last = i;
        break;
    }
  }
  close();
  return out;
}

std::string Units::word_text(const std::vector<int32_t>& ids, int32_t first, int32_t last) const {
  if (vtable_ != nullptr) {
    std::vector<int32_t> part(ids.begin() + first, ids.begin() + last + 1);
    return strip(text(part));
  }
  std::string w;
  for (int32_t i = first; i <= last; ++i) w += spellings_[ids[i]];
  return w;
}

std::string Units::text(const std::vector<int32_t>& ids) const {
  if (vtable_ != nullptr) {
    std::string out(ids.size() * 8 + 16, '\0');
    size_t size = 0;
    sf_error err{};
    err.struct_size = sizeof(err);
    sf_status st =
        vtable_->decode(tokenizer_, ids.data(), ids.size(), 1, out.data(), out.size(), &size, &err);
    if (st != SF_OK && size > out.size()) {
      out.resize(size);
      st = vtable_->decode(tokenizer_, ids.data(), ids.size(), 1, out.data(), out.size(), &size, &err);
    }
    if (st != SF_OK) throw std::runtime_error(std::string("the tokenizer could not decode: ") + err.message);
    out.resize(size);
    size_t a = 0;
    while (a < out.size() && out[a] == ' ') ++a;
    return out.substr(a);
  }
  std::string out;
  for (auto [first, last] : words(ids)) {
    if (!out.empty()) out += ' ';
    out += word_text(ids, first, last);
  }
  return out;
}

}  // namespace seqflow::decode
