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
  // The forward algorithm in probability space, renormalised every frame (Rabiner's scaling): the log of
  // the product of the scales is the log-likelihood. exp() runs once per frame for each distinct label
  // of the labelling, not per state.
  const int64_t T = lp.frames;
  const size_t L = ids.size();
  const size_t S = 2 * L + 1;
  if (T == 0) return L == 0 ? 0.0 : kNegInf;
  if (static_cast<int64_t>(L) > T) return kNegInf;
  std::vector<int32_t> symbols{static_cast<int32_t>(blank)};
  for (int32_t id : ids) symbols.push_back(id);
  std::sort(symbols.begin(), symbols.end());
  symbols.erase(std::unique(symbols.begin(), symbols.end()), symbols.end());
  std::vector<int32_t> sym_of(S);   // state -> index into symbols
  std::vector<uint8_t> skip(S, 0);  // state s may come from s - 2
  for (size_t s = 0; s < S; ++s) {
    const int32_t l = s % 2 == 0 ? static_cast<int32_t>(blank) : ids[s / 2];
    sym_of[s] = static_cast<int32_t>(std::lower_bound(symbols.begin(), symbols.end(), l) - symbols.begin());
    skip[s] = s >= 2 && s % 2 == 1 && ids[s / 2] != ids[s / 2 - 1];
  }
  std::vector<double> p(symbols.size()), a(S, 0.0), b(S, 0.0);
  auto probs = [&](int64_t t) {
    const float* row = lp.row(t);
    for (size_t k = 0; k < symbols.size(); ++k) p[k] = std::exp(static_cast<double>(row[symbols[k]]));
  };
  double log_scale = 0;
  probs(0);
  a[0] = p[sym_of[0]];
  if (S > 1) a[1] = p[sym_of[1]];
  for (int64_t t = 0; t < T; ++t) {
    if (t > 0) {
      probs(t);
      // States that can still reach the end: s >= S - 2 (T - t); those reachable: s < 2 (t + 1).
      const int64_t lo = std::max<int64_t>(0, static_cast<int64_t>(S) - 2 * (T - t));
      const int64_t hi = std::min<int64_t>(static_cast<int64_t>(S), 2 * (t + 1));
      for (int64_t s = 0; s < static_cast<int64_t>(S); ++s) {
        if (s < lo || s >= hi) {
          b[s] = 0.0;
          continue;
        }
        double v = a[s];
        if (s >= 1) v += a[s - 1];
        if (skip[s]) v += a[s - 2];
        b[s] = v * p[sym_of[s]];
      }
      std::swap(a, b);
    }
    double c = 0;
    for (double v : a) c += v;
    if (!(c > 0)) return kNegInf;
    log_scale += std::log(c);
    const double inv = 1.0 / c;
    for (double& v : a) v *= inv;
  }
  const double end = S > 1 ? a[S - 1] + a[S - 2] : a[0];
  return end > 0 ? log_scale + std::log(end) : kNegInf;
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
    lex.trie_.add(std::string_view(line).substr(a, b == std::string::npos ? std::string::npos : b - a),
                  static_cast<int32_t>(lex.size_++));
  }
  if (lex.size_ == 0) throw std::runtime_error(path + ": the lexicon lists no word");
  lex.trie_.freeze();
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
  prefilter_ = hot_ == nullptr && opt_.unk_score <= 0 && opt_.alpha >= 0;
  if (lm_ != nullptr) word_gain_ = std::max(0.0, opt_.beta) + opt_.alpha * kLn10 * lm_->max_backoff_gain();
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

void CtcBeamSearch::complete_word(Node& n) const {
  if (lexicon_ != nullptr && lexicon_->trie().word(n.lex_node) < 0) n.dead = true;
  ++n.words;
  if (lm_ == nullptr) return;
  const int32_t id = lm_->trie().word(n.lm_node);
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

int32_t CtcBeamSearch::find_child(int32_t parent, int32_t token) const {
  // A node's children sit in one small vector sorted by label, in a pool reused across inputs: a hash
  // table of all (parent, label) pairs was a cache miss per look-up, and a linked list of siblings grew
  // long for prefixes that stay in the beam over many frames of a large vocabulary.
  const int32_t list = nodes_[parent].children;
  if (list < 0) return -1;
  const auto& v = child_lists_[list];
  auto it = std::lower_bound(v.begin(), v.end(), token, [](const auto& e, int32_t t) { return e.first < t; });
  return it != v.end() && it->first == token ? it->second : -1;
}

int32_t CtcBeamSearch::child(int32_t parent, int32_t token) {
  if (const int32_t found = find_child(parent, token); found >= 0) return found;
  const auto idx = static_cast<int32_t>(nodes_.size());
  Node n = nodes_[parent];
  n.parent = parent;
  n.token = token;
  n.children = -1;
  const std::string_view spelling = units_.spelling(token);
  auto open_word = [&] {
    n.word_open = true;
    n.open_chars = 0;
    n.lm_node = 0;
    n.lex_node = 0;
  };
  switch (units_.kind(token)) {
    case Units::Kind::kSkip: break;
    case Units::Kind::kDelimiter:
      if (n.word_open) complete_word(n);
      n.word_open = false;
      if (hot_ != nullptr) n.hot_bank += hot_->feed(n.hot_state, " ");
      break;
    case Units::Kind::kWordStart:
      if (n.word_open) complete_word(n);
      open_word();
      if (hot_ != nullptr) n.hot_bank += hot_->feed(n.hot_state, " ");
      break;
    case Units::Kind::kPlain:
      if (!n.word_open) open_word();
      break;
  }
  if (n.word_open && units_.kind(token) != Units::Kind::kSkip) {
    for (unsigned char c : spelling) n.open_chars += (c & 0xC0) != 0x80;
    if (lm_ != nullptr) n.lm_node = lm_->trie().walk(n.lm_node, spelling);
    if (lexicon_ != nullptr) {
      n.lex_node = lexicon_->trie().walk(n.lex_node, spelling);
      if (n.lex_node == PrefixTrie::kNone) n.dead = true;
    }
    if (hot_ != nullptr) n.hot_bank += hot_->feed(n.hot_state, spelling);
  }
  nodes_.push_back(n);
  if (nodes_[parent].children < 0) {
    if (lists_used_ == child_lists_.size()) child_lists_.emplace_back();
    child_lists_[lists_used_].clear();
    nodes_[parent].children = static_cast<int32_t>(lists_used_++);
  }
  auto& v = child_lists_[nodes_[parent].children];
  v.insert(std::lower_bound(v.begin(), v.end(), token, [](const auto& e, int32_t t) { return e.first < t; }),
           {token, idx});
  slot_.push_back(-1);
  stamp_.push_back(-1);
  return idx;
}

double CtcBeamSearch::open_word_penalty(const Node& n) const {
  // An open word that no LM word begins with costs unk_score already, as in pyctcdecode, and beyond 6
  // characters in proportion to its length: or a hypothesis could pay once and then spell one endless
  // word instead of words the LM would score.
  if (lm_ == nullptr || !n.word_open || n.open_chars == 0 || n.lm_node != PrefixTrie::kNone) return 0.0;
  return opt_.unk_score * std::max(1.0, static_cast<double>(n.open_chars) / 6.0);
}

double CtcBeamSearch::bonus(const Node& n) const {
  return n.lm + n.hot_bank + (hot_ != nullptr ? hot_->potential(n.hot_state) : 0.0) + open_word_penalty(n);
}

std::vector<CtcHypothesis> CtcBeamSearch::finish(const LogProbs& lp, const std::vector<End>& ends) {
  // Rank by the search's own prefix probability plus the final LM and hotword scores; only the nbest
  // kept get the exact likelihood (one forward pass each) and are ranked again by it.
  struct Final {
    End end;
    double lm, rank;
  };
  std::vector<Final> finals;
  for (const End& e : ends) {
    Node n = nodes_[e.node];  // a copy: completing the open word must not change the node itself
    if (n.word_open) complete_word(n);
    if (n.dead) continue;
    if (lm_ != nullptr) {
      ArpaLm::State next;
      n.lm += opt_.alpha * lm_->score(n.lm_state, lm_->eos(), next) * kLn10;
    }
    if (hot_ != nullptr) n.hot_bank += hot_->feed(n.hot_state, " ");
    finals.push_back(Final{e, n.lm + n.hot_bank, e.logp + n.lm + n.hot_bank});
  }
  std::sort(finals.begin(), finals.end(), [this](const Final& a, const Final& b) {
    if (a.rank != b.rank) return a.rank > b.rank;
    return a.end.node != b.end.node && ids_less(a.end.node, b.end.node);
  });
  if (finals.size() > static_cast<size_t>(opt_.nbest)) finals.resize(opt_.nbest);
  std::vector<CtcHypothesis> out;
  for (const Final& f : finals) {
    CtcHypothesis h;
    h.ids = ids_of(f.end.node);
    for (int32_t e = f.end.emit; e >= 0; e = emits_[e].parent) h.frames.push_back(emits_[e].frame);
    std::reverse(h.frames.begin(), h.frames.end());
    h.acoustic = ctc_log_likelihood(lp, h.ids, opt_.blank);
    h.lm = f.lm;
    h.score = h.acoustic + h.lm;
    out.push_back(std::move(h));
  }
  std::stable_sort(out.begin(), out.end(), [](const CtcHypothesis& a, const CtcHypothesis& b) {
    if (a.score != b.score) return a.score > b.score;
    return a.ids < b.ids;
  });
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
  return finish(lp, {End{node, emit, 0.0}});
}

std::vector<CtcHypothesis> CtcBeamSearch::decode(const LogProbs& lp) {
  check_input(lp);
  if (lp.vocab != units_.size())
    throw std::invalid_argument("the input has " + std::to_string(lp.vocab) +
                                " classes per frame but the vocabulary has " + std::to_string(units_.size()) +
                                " entries");
  nodes_.clear();
  emits_.clear();
  lists_used_ = 0;
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
    // Staying (a blank, or the last label repeated) first: their totals bound what an extension must
    // beat to enter the beam.
    for (const Cand& h : beam_) {
      const int32_t last = nodes_[h.node].token;
      add(h.node, lse(h.pb, h.pnb) + row[opt_.blank], kNegInf, h.emit);
      if (last >= 0 && h.pnb != kNegInf) add(h.node, kNegInf, h.pnb + row[last], h.emit);
    }
    // An extension whose total cannot reach the beam-th best stay, nor the pruning floor under the best
    // stay, is never selected: it is skipped before its node is made, from a bound on its bonus. A label
    // that continues a word cannot raise its parent's bonus (the open-word penalty only grows); one that
    // ends a word raises it by at most word_gain_ (beta, positive back-off weights) plus the parent's
    // open-word penalty, which it settles. Not with hotwords (partial boosts can grow), nor with a
    // positive unk_score or a negative alpha, where these bounds do not hold.
    double cut = kNegInf;
    if (prefilter_ && !next_.empty()) {
      stay_totals_.clear();
      for (const Cand& c : next_) stay_totals_.push_back(lse(c.pb, c.pnb) + bonus(nodes_[c.node]));
      std::sort(stay_totals_.begin(), stay_totals_.end(), std::greater<double>());
      cut = stay_totals_.front() + opt_.beam_prune_logp;
      if (stay_totals_.size() >= static_cast<size_t>(opt_.beam))
        cut = std::max(cut, stay_totals_[opt_.beam - 1]);
    }
    for (size_t i = 0; i < beam_.size(); ++i) {
      const Cand h = beam_[i];
      const double total = lse(h.pb, h.pnb);
      const Node& parent = nodes_[h.node];
      const int32_t last = parent.token;
      const double parent_bonus = bonus(parent);
      const double ending_bound =
          parent_bonus - (parent.word_open ? open_word_penalty(parent) : 0.0) + word_gain_;
      for (int32_t c : tokens_) {
        const double v = c == last ? h.pb + row[c] : total + row[c];
        if (v == kNegInf) continue;
        const Units::Kind kind = units_.kind(c);
        const bool ends = kind == Units::Kind::kDelimiter || kind == Units::Kind::kWordStart;
        if (v + (ends ? ending_bound : parent_bonus) < cut) {
          const int32_t existing = find_child(h.node, c);
          if (existing < 0 || stamp_[existing] != stamp) continue;
        }
        const int32_t ch = child(h.node, c);
        if (nodes_[ch].dead) continue;
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
  std::vector<End> ends;
  for (const Cand& c : beam_) ends.push_back(End{c.node, c.emit, lse(c.pb, c.pnb)});
  return finish(lp, ends);
}

}  // namespace seqflow::decode
