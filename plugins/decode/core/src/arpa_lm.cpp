#include "decode/arpa_lm.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <stdexcept>

namespace seqflow::decode {
namespace {

constexpr int kIdBits = 21;  // 6 ids of 21 bits fill the 128-bit key
constexpr int32_t kMaxWords = (1 << kIdBits) - 2;

std::vector<std::string_view> split_ws(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\t') ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

bool parse_double(std::string_view s, double& v) {
  if (s.empty()) return false;
  if (s.front() == '+') s.remove_prefix(1);
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec == std::errc() && p == s.data() + s.size()) return std::isfinite(v) || std::isinf(v);
  // "-inf" / "-Infinity" as some tools write for zero probabilities.
  if (s == "-inf" || s == "-Infinity" || s == "-infinity") {
    v = -INFINITY;
    return true;
  }
  return false;
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return std::string(s);
}

}  // namespace

ArpaLm::Key ArpaLm::make_key(const int32_t* words, int n) {
  Key k;
  for (int i = 0; i < n; ++i) {
    uint64_t id = static_cast<uint64_t>(words[i]) + 1;  // 0 marks "no word": keys of other orders differ
    int bit = i * kIdBits;
    if (bit < 64) {
      k.lo |= id << bit;
      if (bit + kIdBits > 64) k.hi |= id >> (64 - bit);
    } else {
      k.hi |= id << (bit - 64);
    }
  }
  return k;
}

const ArpaLm::Entry* ArpaLm::find(const int32_t* words, int n) const {
  const Key k = make_key(words, n);
  for (size_t j = KeyHash{}(k)&mask_;; j = (j + 1) & mask_) {
    if (keys_[j] == k) return &entries_[j];
    if (keys_[j] == Key{}) return nullptr;
  }
}

bool ArpaLm::insert(const Key& k, const Entry& e) {
  for (size_t j = KeyHash{}(k)&mask_;; j = (j + 1) & mask_) {
    if (keys_[j] == k) return false;
    if (keys_[j] == Key{}) {
      keys_[j] = k;
      entries_[j] = e;
      return true;
    }
  }
}

ArpaLm ArpaLm::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open the ARPA language model; check the `lm` path");
  ArpaLm lm;
  std::string raw;
  size_t line_no = 0;
  auto where = [&] { return path + ":" + std::to_string(line_no) + ": "; };
  // Header: everything before \data\ is free text.
  bool seen_data = false;
  while (std::getline(in, raw)) {
    ++line_no;
    if (trim(raw) == "\\data\\") {
      seen_data = true;
      break;
    }
  }
  if (!seen_data)
    throw std::runtime_error(path +
                             ": no \\data\\ section: this is not an ARPA language model (a KenLM binary or a "
                             "compressed file must be converted to ARPA text first)");
  std::string line;
  while (std::getline(in, raw)) {
    ++line_no;
    line = trim(raw);
    if (line.empty()) {
      if (!lm.counts_.empty()) break;
      continue;
    }
    if (line.rfind("ngram ", 0) != 0) break;
    size_t eq = line.find('=');
    int n = 0;
    long long count = -1;
    if (eq != std::string::npos) {
      std::string_view a = std::string_view(line).substr(6, eq - 6);
      std::string_view b = std::string_view(line).substr(eq + 1);
      while (!a.empty() && a.back() == ' ') a.remove_suffix(1);
      while (!b.empty() && b.front() == ' ') b.remove_prefix(1);
      auto r1 = std::from_chars(a.data(), a.data() + a.size(), n);
      auto r2 = std::from_chars(b.data(), b.data() + b.size(), count);
      if (r1.ec != std::errc() || r1.ptr != a.data() + a.size() || r2.ec != std::errc() ||
          r2.ptr != b.data() + b.size())
        n = 0;
    }
    if (n <= 0 || count < 0)
      throw std::runtime_error(where() + "expected 'ngram N=COUNT' in the \\data\\ section, found '" + line +
                               "'");
    if (n != static_cast<int>(lm.counts_.size()) + 1)
      throw std::runtime_error(where() + "'ngram " + std::to_string(n) +
                               "=' out of order: orders must be listed 1, 2, 3, ...");
    if (n > kMaxOrder)
      throw std::runtime_error(where() + "order " + std::to_string(n) +
                               " is above the supported maximum of " + std::to_string(kMaxOrder));
    lm.counts_.push_back(static_cast<size_t>(count));
  }
  if (lm.counts_.empty())
    throw std::runtime_error(where() + "the \\data\\ section lists no 'ngram N=COUNT' line");
  lm.order_ = static_cast<int>(lm.counts_.size());
  if (lm.counts_[0] > static_cast<size_t>(kMaxWords))
    throw std::runtime_error(path + ": " + std::to_string(lm.counts_[0]) +
                             " unigrams, more than the supported " + std::to_string(kMaxWords));
  // The table is sized from the announced counts before any n-gram is read: a corrupt or hostile count
  // ("ngram 2=99999999999") would allocate (and zero) terabytes. Every n-gram line takes at least 4
  // bytes ("0 w\n"), so a count the file cannot hold is an error, not an allocation.
  std::error_code size_ec;
  const uint64_t file_bytes = std::filesystem::file_size(path, size_ec);
  size_t total = 0;
  for (size_t n = 0; n < lm.counts_.size(); ++n) {
    if (!size_ec && lm.counts_[n] > file_bytes / 4)
      throw std::runtime_error(path + ": \\data\\ announces " + std::to_string(lm.counts_[n]) + " " +
                               std::to_string(n + 1) + "-grams, more than a file of " +
                               std::to_string(file_bytes) +
                               " bytes can hold; the header is corrupt or the file is truncated");
    total += lm.counts_[n];
  }
  size_t capacity = 16;
  while (capacity < 2 * total + 2) capacity *= 2;
  lm.keys_.assign(capacity, Key{});  // the all-zero key marks a free slot: real keys hold ids + 1
  lm.entries_.assign(capacity, Entry{});
  lm.mask_ = capacity - 1;

  int section = 0;  // the order being read, 0 before the first section
  size_t in_section = 0;
  bool ended = false;
  auto close_section = [&] {
    if (section > 0 && in_section != lm.counts_[section - 1])
      throw std::runtime_error(where() + "the \\" + std::to_string(section) + "-grams: section has " +
                               std::to_string(in_section) + " entries but \\data\\ announced " +
                               std::to_string(lm.counts_[section - 1]));
  };
  // `line` may already hold the first section header.
  bool have_line = !line.empty() && line.rfind("ngram ", 0) != 0;
  std::vector<int32_t> ids;
  while (have_line || std::getline(in, raw)) {
    if (!have_line) {
      ++line_no;
      line = trim(raw);
    }
    have_line = false;
    if (line.empty()) continue;
    if (line[0] == '\\') {
      close_section();
      if (line == "\\end\\") {
        ended = true;
        break;
      }
      int n = 0;
      const char* suffix = "-grams:";
      if (line.size() > 8 && line.compare(line.size() - 7, 7, suffix) == 0) {
        std::string_view num = std::string_view(line).substr(1, line.size() - 8);
        auto r = std::from_chars(num.data(), num.data() + num.size(), n);
        if (r.ec != std::errc() || r.ptr != num.data() + num.size()) n = 0;
      }
      if (n != section + 1 || n > lm.order_)
        throw std::runtime_error(where() + "expected " +
                                 (section == lm.order_ ? std::string("'\\end\\'")
                                                       : "'\\" + std::to_string(section + 1) + "-grams:'") +
                                 ", found '" + line + "'");
      section = n;
      in_section = 0;
      continue;
    }
    if (section == 0)
      throw std::runtime_error(where() + "n-gram line before the '\\1-grams:' section: '" + line + "'");
    auto f = split_ws(line);
    const int n = section;
    const bool may_backoff = n < lm.order_;
    if (static_cast<int>(f.size()) != n + 1 && !(may_backoff && static_cast<int>(f.size()) == n + 2))
      throw std::runtime_error(where() + "a " + std::to_string(n) + "-gram line needs a log10 probability, " +
                               std::to_string(n) + " word" + (n > 1 ? "s" : "") +
                               (may_backoff ? " and an optional back-off weight" : "") + "; found " +
                               std::to_string(f.size()) + " fields in '" + line + "'");
    double logp = 0, backoff = 0;
    if (!parse_double(f[0], logp) || logp > 0)
      throw std::runtime_error(where() + "'" + std::string(f[0]) +
                               "' is not a log10 probability (a number <= 0)");
    if (static_cast<int>(f.size()) == n + 2 && !parse_double(f[n + 1], backoff))
      throw std::runtime_error(where() + "'" + std::string(f[n + 1]) +
                               "' is not a back-off weight (a number)");
    ids.assign(n, 0);
    for (int i = 0; i < n; ++i) {
      std::string w(f[1 + i]);
      if (n == 1) {
        auto [it, fresh] = lm.vocab_.emplace(w, static_cast<int32_t>(lm.vocab_.size()));
        if (!fresh) throw std::runtime_error(where() + "the unigram '" + w + "' is listed twice");
        ids[i] = it->second;
      } else {
        auto it = lm.vocab_.find(w);
        if (it == lm.vocab_.end())
          throw std::runtime_error(where() + "the word '" + w +
                                   "' is not among the 1-grams: every word of an n-gram must be a unigram");
        ids[i] = it->second;
      }
    }
    if (++in_section > lm.counts_[n - 1])
      throw std::runtime_error(where() + "more " + std::to_string(n) + "-grams than the " +
                               std::to_string(lm.counts_[n - 1]) + " that \\data\\ announced");
    Entry e{logp, backoff};
    lm.max_backoff_ = std::max(lm.max_backoff_, backoff);
    if (!lm.insert(make_key(ids.data(), n), e))
      throw std::runtime_error(where() + "the " + std::to_string(n) + "-gram '" +
                               line.substr(f[1].data() - line.data()) + "' is listed twice");
  }
  if (!ended) {
    close_section();
    throw std::runtime_error(path + ": the file ends without '\\end\\' (truncated?)");
  }
  if (section != lm.order_)
    throw std::runtime_error(path + ": \\data\\ announced order " + std::to_string(lm.order_) + " but only " +
                             std::to_string(section) + " n-gram sections were found");
  for (const auto& [word, id] : lm.vocab_) lm.trie_.add(word, id);
  lm.trie_.freeze();
  lm.bos_ = lm.word_id("<s>");
  lm.eos_ = lm.word_id("</s>");
  lm.unk_ = lm.word_id("<unk>");
  if (lm.bos_ < 0 || lm.eos_ < 0)
    throw std::runtime_error(path + ": the 1-grams lack <s> or </s>, which sentence scores need");
  return lm;
}

std::shared_ptr<const ArpaLm> ArpaLm::shared(const std::string& path) {
  static std::mutex mu;
  static std::map<std::string, std::weak_ptr<const ArpaLm>> cache;
  std::lock_guard<std::mutex> lock(mu);
  if (auto p = cache[path].lock()) return p;
  auto p = std::make_shared<const ArpaLm>(load(path));
  cache[path] = p;
  return p;
}

int32_t ArpaLm::word_id(std::string_view word) const {
  auto it = vocab_.find(std::string(word));
  return it == vocab_.end() ? -1 : it->second;
}

ArpaLm::State ArpaLm::begin_state() const {
  State s;
  if (order_ > 1) {
    s.words[0] = bos_;
    s.size = 1;
  }
  return s;
}

double ArpaLm::score(const State& state, int32_t word, State& next) const {
  int32_t buf[kMaxOrder];
  const int k = state.size;
  for (int i = 0; i < k; ++i) buf[i] = state.words[i];
  buf[k] = word;
  double total = 0;
  double result = 0;
  bool found = false;
  // Longest listed n-gram ending in `word`; back-off weights of the contexts passed on the way.
  for (int n = k; n >= 0; --n) {
    const int32_t* gram = buf + (k - n);
    if (const Entry* e = find(gram, n + 1)) {
      result = total + e->logp;
      found = true;
      break;
    }
    if (n > 0)
      if (const Entry* c = find(gram, n)) total += c->backoff;
  }
  if (!found) result = total;  // only for a word id that is no unigram, which callers never pass
  const int keep = std::min(k + 1, order_ - 1);
  next.size = keep;
  for (int i = 0; i < keep; ++i) next.words[i] = buf[k + 1 - keep + i];
  return result;
}

}  // namespace seqflow::decode
