#include "decode/ctc.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <stdexcept>

namespace seqflow::decode {
namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();
constexpr double kLn10 = 2.302585092994045684;

double lse(double a, double b) {
  if (a < b) std::swap(a, b);
  if (b == kNegInf) return a;
  return a + std::log1p(std::exp(b - a));
}

void check_input(const LogProbs& lp) {
  const int64_t n = lp.frames * lp.vocab;
  for (int64_t i = 0; i < n; ++i)
    if (std::isnan(lp.data[i]))
      throw std::invalid_argument("the log-probabilities hold NaN at frame " + std::to_string(i / lp.vocab) +
                                  ", index " + std::to_string(i % lp.vocab));
}

int32_t argmax(const float* row, int64_t v) {
  int32_t best = 0;
  for (int64_t c = 1; c < v; ++c)
    if (row[c] > row[best]) best = static_cast<int32_t>(c);
  return best;
}

}  // namespace

double ctc_log_likelihood(const LogProbs& lp, const std::vector<int32_t>& ids, int64_t blank) {
  const int64_t T = lp.frames;
  const size_t L = ids.size();
  const size_t S = 2 * L + 1;
  auto label = [&](size_t s) -> int64_t { return s % 2 == 0 ? blank : ids[s / 2]; };
  if (T == 0) return L == 0 ? 0.0 : kNegInf;
  std::vector<double> a(S, kNegInf), b(S, kNegInf);
  a[0] = lp.row(0)[blank];
  if (S > 1) a[1] = lp.row(0)[label(1)];
  for (int64_t t = 1; t < T; ++t) {
    const float* row = lp.row(t);
    for (size_t s = 0; s < S; ++s) {
      double v = a[s];
      if (s >= 1) v = lse(v, a[s - 1]);
      if (s >= 2 && s % 2 == 1 && label(s) != label(s - 2)) v = lse(v, a[s - 2]);
      b[s] = v == kNegInf ? kNegInf : v + row[label(s)];
    }
    std::swap(a, b);
  }
  return S > 1 ? lse(a[S - 1], a[S - 2]) : a[0];
}

CtcHypothesis ctc_greedy(const LogProbs& lp, int64_t blank) {
  check_input(lp);
  CtcHypothesis h;
  int32_t prev = -1;
  for (int64_t t = 0; t < lp.frames; ++t) {
    const int32_t x = argmax(lp.row(t), lp.vocab);
    if (x != blank && x != prev) {
      h.ids.push_back(x);
      h.frames.push_back(static_cast<int32_t>(t));
    }
    prev = x;
  }
  h.acoustic = h.score = ctc_log_likelihood(lp, h.ids, blank);
  return h;
}

Lexicon Lexicon::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open the lexicon; check the `lexicon` path");
  Lexicon lex;
  std::string line;
  while (std::getline(in, line)) {
    size_t a = line.find_first_not_of(" \t\r");
    if (a == std::string::npos) continue;
    size_t b = line.find_first_of(" \t\r", a);
    std::string w = line.substr(a, b == std::string::npos ? std::string::npos : b - a);
    for (size_t i = 1; i <= w.size(); ++i) lex.prefixes_.insert(w.substr(0, i));
    lex.words_.insert(std::move(w));
  }
  if (lex.words_.empty()) throw std::runtime_error(path + ": the lexicon lists no word");
  return lex;
}

CtcBeamSearch::CtcBeamSearch(const Units& units, const CtcBeamOptions& options, const ArpaLm* lm,
                             const Lexicon* lexicon, const Hotwords* hotwords)
    : units_(units),
      opt_(options),
      lm_(lm),
      lexicon_(lexicon),
      hot_(hotwords != nullptr && !hotwords->empty() ? hotwords : nullptr) {
  if (opt_.beam < 1) throw std::invalid_argument("beam must be at least 1");
  if (opt_.nbest < 1) throw std::invalid_argument("nbest must be at least 1");
}

std::vector<int32_t> CtcBeamSearch::ids_of(int32_t node) const {
  std::vector<int32_t> ids;
  for (int32_t n = node; nodes_[n].parent >= 0; n = nodes_[n].parent) ids.push_back(nodes_[n].token);
  std::reverse(ids.begin(), ids.end());
  return ids;
}

bool CtcBeamSearch::ids_less(int32_t a, int32_t b) const { return ids_of(a) < ids_of(b); }

bool CtcBeamSearch::before(const Cand& a, const Cand& b) const {
  if (a.total != b.total) return a.total > b.total;
  return a.node != b.node && ids_less(a.node, b.node);
}

std::string CtcBeamSearch::open_word(int32_t node, int32_t extra_token) const {
  std::vector<int32_t> ids;
  if (nodes_[node].word_begin >= 0) {
    for (int32_t n = node;; n = nodes_[n].parent) {
      ids.push_back(nodes_[n].token);
      if (n == nodes_[node].word_begin) break;
    }
    std::reverse(ids.begin(), ids.end());
  }
  if (extra_token >= 0) ids.push_back(extra_token);
  if (ids.empty()) return {};
  return units_.word_text(ids, 0, static_cast<int32_t>(ids.size()) - 1);
}

void CtcBeamSearch::complete_word(Node& n, const std::string& word) const {
  if (lexicon_ != nullptr && !lexicon_->contains(word)) n.dead = true;
  ++n.words;
  if (lm_ == nullptr) return;
  const int32_t id = lm_->word_id(word);
  ArpaLm::State next;
  double log10p = 0;
  if (id >= 0) {
    log10p = lm_->score(n.lm_state, id, next);
  } else if (lm_->unk() >= 0) {
    log10p = lm_->score(n.lm_state, lm_->unk(), next);
  }
  n.lm += opt_.alpha * log10p * kLn10 + opt_.beta + (id < 0 ? opt_.unk_score : 0.0);
  n.lm_state = next;
}

int32_t CtcBeamSearch::child(int32_t parent, int32_t token) {
  const uint64_t key = (static_cast<uint64_t>(parent) << 32) | static_cast<uint32_t>(token);
  auto it = children_.find(key);
  if (it != children_.end()) return it->second;
  const auto idx = static_cast<int32_t>(nodes_.size());
  Node n = nodes_[parent];
  n.parent = parent;
  n.token = token;
  switch (units_.kind(token)) {
    case Units::Kind::kSkip: break;
    case Units::Kind::kDelimiter:
      if (n.word_begin >= 0) complete_word(n, open_word(parent, -1));
      n.word_begin = -1;
      if (hot_ != nullptr) n.hot_bank += hot_->feed(n.hot_state, " ");
      break;
    case Units::Kind::kWordStart:
      if (n.word_begin >= 0) complete_word(n, open_word(parent, -1));
      n.word_begin = idx;
      if (hot_ != nullptr) {
        n.hot_bank += hot_->feed(n.hot_state, " ");
        n.hot_bank += hot_->feed(n.hot_state, units_.spelling(token));
      }
      if (lexicon_ != nullptr && !lexicon_->is_prefix(std::string(units_.spelling(token)))) n.dead = true;
      break;
    case Units::Kind::kPlain: {
      std::string partial;
      if (lexicon_ != nullptr) {
        for (int32_t p = parent; n.word_begin >= 0; p = nodes_[p].parent) {
          partial.insert(0, units_.spelling(nodes_[p].token));
          if (p == n.word_begin) break;
        }
        partial += units_.spelling(token);
        if (!lexicon_->is_prefix(partial)) n.dead = true;
      }
      if (n.word_begin < 0) n.word_begin = idx;
      if (hot_ != nullptr) n.hot_bank += hot_->feed(n.hot_state, units_.spelling(token));
      break;
    }
  }
  nodes_.push_back(n);
  slot_.push_back(-1);
  stamp_.push_back(-1);
  children_.emplace(key, idx);
  return idx;
}

double CtcBeamSearch::bonus(const Node& n) const {
  return n.lm + n.hot_bank + (hot_ != nullptr ? hot_->potential(n.hot_state) : 0.0);
}

std::vector<CtcHypothesis> CtcBeamSearch::finish(const LogProbs& lp,
                                                 const std::vector<std::pair<int32_t, int32_t>>& ends) {
  std::vector<CtcHypothesis> out;
  for (auto [idx, emit] : ends) {
    Node n = nodes_[idx];  // a copy: completing the open word must not change the node itself
    if (n.word_begin >= 0) complete_word(n, open_word(idx, -1));
    if (n.dead) continue;
    if (lm_ != nullptr) {
      ArpaLm::State next;
      n.lm += opt_.alpha * lm_->score(n.lm_state, lm_->eos(), next) * kLn10;
    }
    if (hot_ != nullptr) n.hot_bank += hot_->feed(n.hot_state, " ");
    CtcHypothesis h;
    h.ids = ids_of(idx);
    for (int32_t e = emit; e >= 0; e = emits_[e].parent) h.frames.push_back(emits_[e].frame);
    std::reverse(h.frames.begin(), h.frames.end());
    h.acoustic = ctc_log_likelihood(lp, h.ids, opt_.blank);
    h.lm = n.lm + n.hot_bank;
    h.score = h.acoustic + h.lm;
    out.push_back(std::move(h));
  }
  std::sort(out.begin(), out.end(), [](const CtcHypothesis& a, const CtcHypothesis& b) {
    if (a.score != b.score) return a.score > b.score;
    return a.ids < b.ids;
  });
  if (out.size() > static_cast<size_t>(opt_.nbest)) out.resize(opt_.nbest);
  if (out.empty()) {
    // The lexicon rejected every hypothesis: the empty transcript.
    CtcHypothesis h;
    h.acoustic = h.score = ctc_log_likelihood(lp, h.ids, opt_.blank);
    out.push_back(h);
  }
  return out;
}

std::vector<CtcHypothesis> CtcBeamSearch::best_path(const LogProbs& lp) {
  int32_t node = 0;
  int32_t emit = -1;
  int64_t last = opt_.blank;
  for (int64_t t = 0; t < lp.frames; ++t) {
    const float* row = lp.row(t);
    tokens_.clear();
    const int32_t top = argmax(row, lp.vocab);
    for (int64_t c = 0; c < lp.vocab; ++c)
      if (c == opt_.blank || c == last || c == top || row[c] >= opt_.token_min_logp)
        tokens_.push_back(static_cast<int32_t>(c));
    int32_t best_node = -1;
    int64_t best_sym = -1;
    double best = kNegInf;
    for (int32_t x : tokens_) {  // ascending: the lower id wins a tie
      int32_t nn = node;
      if (x != opt_.blank && x != last) {
        nn = child(node, x);
        if (nodes_[nn].dead) continue;
      }
      // The path's score so far is common to every candidate: leaving it out keeps the comparison of
      // row values exact, so that without an LM this is greedy decoding to the last bit.
      const double v = row[x] + bonus(nodes_[nn]);
      if (best_node < 0 || v > best) {
        best = v;
        best_node = nn;
        best_sym = x;
      }
    }
    if (best_node != node) {
      emits_.push_back(Emission{emit, static_cast<int32_t>(t)});
      emit = static_cast<int32_t>(emits_.size()) - 1;
    }
    node = best_node;
    last = best_sym;
  }
  return finish(lp, {{node, emit}});
}

std::vector<CtcHypothesis> CtcBeamSearch::decode(const LogProbs& lp) {
  check_input(lp);
  if (lp.vocab != units_.size())
    throw std::invalid_argument("the input has " + std::to_string(lp.vocab) +
                                " classes per frame but the vocabulary has " + std::to_string(units_.size()) +
                                " entries");
  nodes_.clear();
  emits_.clear();
  children_.clear();
  slot_.clear();
  stamp_.clear();
  Node root;
  if (lm_ != nullptr) root.lm_state = lm_->begin_state();
  if (hot_ != nullptr) root.hot_state = hot_->start();
  nodes_.push_back(root);
  slot_.push_back(-1);
  stamp_.push_back(-1);
  if (opt_.beam == 1) return best_path(lp);

  beam_.assign(1, Cand{0, -1, 0.0, kNegInf, 0.0, 0.0});
  for (int64_t t = 0; t < lp.frames; ++t) {
    const float* row = lp.row(t);
    const int32_t top = argmax(row, lp.vocab);
    tokens_.clear();
    for (int64_t c = 0; c < lp.vocab; ++c)
      if (c != opt_.blank && (c == top || row[c] >= opt_.token_min_logp))
        tokens_.push_back(static_cast<int32_t>(c));
    next_.clear();
    const auto stamp = static_cast<int32_t>(t);
    // A contribution carries its emission chain; the prefix keeps the chain of its most probable one.
    auto add = [&](int32_t node, double pb, double pnb, int32_t emit) {
      if (stamp_[node] != stamp) {
        stamp_[node] = stamp;
        slot_[node] = static_cast<int32_t>(next_.size());
        next_.push_back(Cand{node, emit, kNegInf, kNegInf, 0.0, kNegInf});
      }
      Cand& c = next_[slot_[node]];
      if (pb != kNegInf) c.pb = lse(c.pb, pb);
      if (pnb != kNegInf) c.pnb = lse(c.pnb, pnb);
      const double v = std::max(pb, pnb);
      if (v > c.best) {
        c.best = v;
        c.emit = emit;
      }
    };
    for (size_t i = 0; i < beam_.size(); ++i) {
      const Cand h = beam_[i];
      const double total = lse(h.pb, h.pnb);
      const int32_t last = nodes_[h.node].token;
      add(h.node, total + row[opt_.blank], kNegInf, h.emit);
      if (last >= 0 && h.pnb != kNegInf) add(h.node, kNegInf, h.pnb + row[last], h.emit);
      for (int32_t c : tokens_) {
        const int32_t ch = child(h.node, c);
        if (nodes_[ch].dead) continue;
        const double v = c == last ? h.pb + row[c] : total + row[c];
        if (v == kNegInf) continue;
        emits_.push_back(Emission{h.emit, stamp});
        add(ch, kNegInf, v, static_cast<int32_t>(emits_.size()) - 1);
      }
    }
    for (Cand& c : next_) c.total = lse(c.pb, c.pnb) + bonus(nodes_[c.node]);
    std::erase_if(next_, [](const Cand& c) { return c.total == kNegInf; });
    const size_t keep = std::min<size_t>(static_cast<size_t>(opt_.beam), next_.size());
    auto cmp = [this](const Cand& a, const Cand& b) { return before(a, b); };
    if (keep < next_.size()) std::nth_element(next_.begin(), next_.begin() + keep, next_.end(), cmp);
    next_.resize(keep);
    std::sort(next_.begin(), next_.end(), cmp);
    if (!next_.empty()) {
      const double floor = next_.front().total + opt_.beam_prune_logp;
      while (next_.size() > 1 && next_.back().total < floor) next_.pop_back();
    }
    std::swap(beam_, next_);
    if (beam_.empty()) break;
  }
  std::vector<std::pair<int32_t, int32_t>> ends;
  for (const Cand& c : beam_) ends.emplace_back(c.node, c.emit);
  return finish(lp, ends);
}

}  // namespace seqflow::decode
