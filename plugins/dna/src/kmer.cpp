#include "kmer.hpp"

#include "seq_tables.hpp"

#include <seqflow/sdk.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>

namespace seqflow::dna {
namespace {

int32_t find_token(const std::vector<std::string>& tokens, const std::string& name) {
  auto it = std::find(tokens.begin(), tokens.end(), name);
  return it == tokens.end() ? -1 : static_cast<int32_t>(it - tokens.begin());
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// Names of the special tokens a configuration needs, checked against what was found.
void require_specials(const KmerOptions& o, const KmerVocab& v, const std::string& source) {
  if (v.unk < 0) {
    throw Error("unk_token '" + o.unk_token + "' is not in " + source +
                "; k-mers with N need it (add it, or set unk_token to one that is there)");
  }
  if (o.add_cls_sep && (v.cls < 0 || v.sep < 0)) {
    throw Error("add_cls_sep needs cls_token '" + o.cls_token + "' and sep_token '" + o.sep_token +
                "', but " + source + " lacks " +
                (v.cls < 0 ? "'" + o.cls_token + "'" : "'" + o.sep_token + "'") +
                "; add it or set add_cls_sep = false");
  }
}

std::shared_ptr<const KmerVocab> implicit_vocab(const KmerOptions& o) {
  std::set<std::string> seen;
  for (const auto& t : o.special_tokens) {
    if (t.empty()) throw Error("special_tokens holds an empty string; every special token needs a name");
    if (!seen.insert(t).second) throw Error("special_tokens lists '" + t + "' twice; list each token once");
  }
  auto v = std::make_shared<KmerVocab>();
  v->unk = find_token(o.special_tokens, o.unk_token);
  v->cls = find_token(o.special_tokens, o.cls_token);
  v->sep = find_token(o.special_tokens, o.sep_token);
  v->first_kmer = static_cast<int32_t>(o.special_tokens.size());
  v->size = o.special_tokens.size() + (size_t{1} << (2 * o.k));
  require_specials(o, *v, "special_tokens [" + join(o.special_tokens) + "]");
  return v;
}

std::shared_ptr<const KmerVocab> load_vocab(const KmerOptions& o) {
  std::ifstream in(o.vocab_path, std::ios::binary);
  if (!in) {
    throw Error("cannot open vocabulary file '" + o.vocab_path +
                "'; check the path (relative paths resolve against the pipeline file's folder)");
  }
  auto v = std::make_shared<KmerVocab>();
  const size_t codes = size_t{1} << (2 * o.k);
  std::vector<int32_t> table(codes, -1);
  std::map<std::string, int32_t> specials;
  std::string line;
  int32_t id = 0;
  size_t lineno = 0;
  bool blank_seen = false;
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::string where = o.vocab_path + ":" + std::to_string(lineno) + ": ";
    if (line.empty()) {
      blank_seen = true;
      continue;
    }
    if (blank_seen)
      throw Error(where + "a blank line comes before this token; ids are line numbers, so remove it");
    const int64_t code = static_cast<int>(line.size()) == o.k ? kmer_code(line) : -1;
    if (code >= 0) {
      if (table[static_cast<size_t>(code)] >= 0) {
        throw Error(where + "k-mer '" + line + "' appears twice (first on line " +
                    std::to_string(table[static_cast<size_t>(code)] + 1) + "); list each k-mer once");
      }
      table[static_cast<size_t>(code)] = id;
    } else if (find_token(o.special_tokens, line) >= 0 || (line.front() == '[' && line.back() == ']')) {
      if (!specials.emplace(line, id).second)
        throw Error(where + "token '" + line + "' appears twice; list it once");
    } else {
      throw Error(where + "'" + line + "' is neither a " + std::to_string(o.k) +
                  "-mer of A/C/G/T nor a special token such as [UNK]; check that k = " + std::to_string(o.k) +
                  " matches the vocabulary");
    }
    ++id;
  }
  if (in.bad()) throw Error("cannot read vocabulary file '" + o.vocab_path + "'");
  auto special = [&](const std::string& name) {
    auto it = specials.find(name);
    return it == specials.end() ? -1 : it->second;
  };
  v->unk = special(o.unk_token);
  v->cls = special(o.cls_token);
  v->sep = special(o.sep_token);
  require_specials(o, *v, "vocabulary file '" + o.vocab_path + "'");
  for (auto& t : table) {
    if (t < 0) t = v->unk;
  }
  v->table = std::move(table);
  v->size = static_cast<size_t>(id);
  return v;
}

// One table per vocabulary file and options, shared by every stage instance that asks for it.
std::shared_ptr<const KmerVocab> shared_vocab(const KmerOptions& o) {
  static std::mutex mu;
  static std::map<std::string, std::weak_ptr<const KmerVocab>> cache;
  // The file's size and time are part of the key, so an edited file is loaded afresh.
  std::error_code ec;
  const auto size = std::filesystem::file_size(o.vocab_path, ec);
  const auto mtime = std::filesystem::last_write_time(o.vocab_path, ec).time_since_epoch().count();
  std::string key = o.vocab_path + '\n' + std::to_string(size) + '\n' + std::to_string(mtime) + '\n' +
                    std::to_string(o.k) + '\n' + o.unk_token + '\n' + o.cls_token + '\n' + o.sep_token +
                    '\n' + (o.add_cls_sep ? "1" : "0") + '\n' + join(o.special_tokens);
  std::lock_guard<std::mutex> lock(mu);
  if (auto hit = cache[key].lock()) return hit;
  auto v = load_vocab(o);
  cache[key] = v;
  return v;
}

}  // namespace

int64_t kmer_code(std::string_view kmer) {
  int64_t code = 0;
  for (char c : kmer) {
    const uint8_t b = kBaseCode[static_cast<uint8_t>(c)];
    if (b > 3) return -1;
    code = code << 2 | b;
  }
  return code;
}

KmerTokenizer::KmerTokenizer(const KmerOptions& options) : opt_(options) {
  if (opt_.k < 1 || opt_.k > 12) {
    throw ParamError(
        "k", "k = " + std::to_string(opt_.k) + " is out of range; k must be 1 to 12 (4^12 k-mers at most)");
  }
  if (opt_.stride < 1) {
    throw ParamError("stride", "stride = " + std::to_string(opt_.stride) +
                                   " must be 1 or more (1: overlapping k-mers, " + "k: non-overlapping)");
  }
  vocab_ = opt_.vocab_path.empty() ? implicit_vocab(opt_) : shared_vocab(opt_);
}

template <bool kCanonical, bool kTable>
void KmerTokenizer::encode_impl(std::string_view seq, int32_t* out) const {
  const KmerVocab& v = *vocab_;
  const auto* p = reinterpret_cast<const uint8_t*>(seq.data());
  const size_t n = seq.size();
  const size_t k = static_cast<size_t>(opt_.k);
  const size_t stride = static_cast<size_t>(opt_.stride);
  const uint32_t mask = (uint32_t{1} << (2 * k)) - 1;
  const unsigned rc_shift = static_cast<unsigned>(2 * (k - 1));
  const int32_t* table = v.table.data();
  const int32_t first = v.first_kmer;
  const int32_t unk = v.unk;
  size_t j = 0;
  if (opt_.add_cls_sep) out[j++] = v.cls;
  if (n >= k) {
    // Rolling state kept short on the critical path: `fw * 4 + c` and `flags * 2 + is_bad` are one LEA
    // each; masking to k bases happens off the chain. `flags` holds a bit per recent base that is not
    // A/C/G/T/U: a k-mer is clean when its k bits are 0. Everything is arithmetic (no branch on the data):
    // ambiguous bases come at random and would mispredict.
    uint64_t fw = 0;
    uint32_t rc = 0;
    uint64_t flags = 0;
    const uint64_t kmask = (uint64_t{1} << k) - 1;
    auto step = [&](size_t i) {
      const uint32_t c = kBaseCode[p[i]];
      fw = fw * 4 + (c & 3);
      if constexpr (kCanonical) rc = (rc >> 2) | ((3 - (c & 3)) << rc_shift);
      flags = flags * 2 + (c >> 2);
    };
    auto emit = [&] {
      const uint32_t f = static_cast<uint32_t>(fw) & mask;
      const uint32_t code = kCanonical ? std::min(f, rc) : f;
      const int32_t id = kTable ? table[code] : first + static_cast<int32_t>(code);
      const int32_t clean = static_cast<int32_t>((flags & kmask) != 0) - 1;  // all ones when clean
      out[j++] = unk + ((id - unk) & clean);
    };
    for (size_t i = 0; i + 1 < k; ++i) step(i);
    if (stride == 1) {
      for (size_t i = k - 1; i < n; ++i) {
        step(i);
        emit();
      }
    } else {
      size_t countdown = 1;
      for (size_t i = k - 1; i < n; ++i) {
        step(i);
        if (--countdown != 0) continue;
        countdown = stride;
        emit();
      }
    }
  }
  if (opt_.add_cls_sep) out[j++] = v.sep;
}

void KmerTokenizer::encode(std::string_view seq, int32_t* out) const {
  const bool table = !vocab_->table.empty();
  if (opt_.canonical) {
    table ? encode_impl<true, true>(seq, out) : encode_impl<true, false>(seq, out);
  } else {
    table ? encode_impl<false, true>(seq, out) : encode_impl<false, false>(seq, out);
  }
}

}  // namespace seqflow::dna
