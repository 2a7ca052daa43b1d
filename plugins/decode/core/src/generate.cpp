#include "decode/generate.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

namespace seqflow::decode {
namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();
constexpr double kPenalty = -1.0e9;  // transformers' "cannot be chosen" offset, kept for identical ranking

uint64_t mix(uint64_t x) {  // splitmix64's finaliser
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

void log_softmax(std::vector<double>& s) {
  const double m = *std::max_element(s.begin(), s.end());
  if (m == kNegInf) return;
  double sum = 0;
  for (double v : s) sum += std::exp(v - m);
  const double lz = m + std::log(sum);
  for (double& v : s) v -= lz;
}

bool is_eos(const GenerateOptions& o, int64_t t) {
  return std::find(o.eos.begin(), o.eos.end(), t) != o.eos.end();
}

int64_t argmax(const std::vector<double>& s) {
  return static_cast<int64_t>(std::max_element(s.begin(), s.end()) - s.begin());  // the first maximum
}

// A hypothesis: the tokens generated so far and its accumulated log-probability.
struct Hyp {
  std::vector<int64_t> gen;
  double score = 0;
  uint32_t row = 0;  // session row holding its state
  int32_t seq = 0;   // sampling: which of the num_return_sequences
};

struct Finished {
  std::vector<int64_t> gen;
  double score = kPenalty;
  bool finished = false;
};

struct Request {
  const GenerateRequest* in = nullptr;
  size_t fed = 0;  // tokens fed to the model so far
  bool done = false;
  bool heuristic_done = false;
  std::vector<Hyp> hyps;       // live rows
  std::vector<Finished> best;  // beam search's finished hypotheses, sorted
  GenerateResult result;
};

std::vector<int64_t> context_of(const Request& r, const Hyp& h) {
  std::vector<int64_t> c = r.in->prompt;
  c.insert(c.end(), h.gen.begin(), h.gen.end());
  return c;
}

}  // namespace

uint64_t request_key(const std::string& id) {
  uint64_t h = 0xCBF29CE484222325ull;
  for (unsigned char c : id) h = (h ^ c) * 0x100000001B3ull;
  return h;
}

double sample_uniform(uint64_t seed, uint64_t key, uint64_t sequence, uint64_t step) {
  const uint64_t x = mix(seed ^ mix(key ^ mix(sequence ^ mix(step))));
  return static_cast<double>(x >> 11) * 0x1.0p-53;
}

void process_logits(const GenerateOptions& o, const std::vector<int64_t>& context, int64_t generated,
                    bool log_softmax_first, std::vector<double>& s) {
  const auto V = static_cast<int64_t>(s.size());
  if (log_softmax_first) log_softmax(s);
  if (o.repetition_penalty != 1.0) {
    std::vector<int64_t> seen(context.begin(), context.end());
    std::sort(seen.begin(), seen.end());
    seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
    for (int64_t t : seen)
      if (t >= 0 && t < V) s[t] = s[t] < 0 ? s[t] * o.repetition_penalty : s[t] / o.repetition_penalty;
  }
  const auto n = static_cast<size_t>(o.no_repeat_ngram_size);
  if (n > 0 && context.size() >= n) {
    // Ban every token that would complete an n-gram already present: the windows whose first n - 1
    // tokens equal the context's last n - 1.
    const size_t L = context.size();
    for (size_t i = 0; i + n <= L; ++i)
      if (std::equal(context.begin() + i, context.begin() + i + n - 1, context.begin() + (L - n + 1)))
        if (context[i + n - 1] >= 0 && context[i + n - 1] < V) s[context[i + n - 1]] = kNegInf;
  }
  if (generated < o.min_new_tokens)
    for (int64_t e : o.eos)
      if (e >= 0 && e < V) s[e] = kNegInf;
  if (o.mode != GenMode::kSample) return;
  if (o.temperature != 1.0)
    for (double& v : s) v /= o.temperature;
  if (o.top_k > 0 && o.top_k < V) {
    std::vector<double> sorted(s);
    std::nth_element(sorted.begin(), sorted.begin() + (o.top_k - 1), sorted.end(), std::greater<double>());
    const double kth = sorted[o.top_k - 1];
    for (double& v : s)
      if (v < kth) v = kNegInf;  // ties with the k-th value stay, as TopKLogitsWarper's `<`
  }
  if (o.top_p < 1.0) {
    // Ascending order; drop the low tail whose cumulative probability is <= 1 - top_p; the most likely
    // token always stays.
    std::vector<int64_t> order(V);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return s[a] < s[b]; });
    const double m = s[order.back()];
    double z = 0;
    for (double v : s) z += v == kNegInf ? 0.0 : std::exp(v - m);
    double cum = 0;
    for (int64_t i = 0; i + 1 < V; ++i) {
      const int64_t t = order[i];
      cum += s[t] == kNegInf ? 0.0 : std::exp(s[t] - m) / z;
      if (cum <= 1.0 - o.top_p) s[t] = kNegInf;
    }
  }
  if (o.min_p > 0.0) {
    const double m = *std::max_element(s.begin(), s.end());
    // probs < min_p * max prob  <=>  s - m < log(min_p)
    const double floor = std::log(o.min_p);
    for (double& v : s)
      if (v != kNegInf && v - m < floor) v = kNegInf;
  }
}

namespace {

class Engine {
 public:
  Engine(StepModel& model, const GenerateOptions& o, const std::vector<GenerateRequest>& in, bool with_memory)
      : m_(model), o_(o), V_(model.vocab()) {
    reqs_.resize(in.size());
    std::vector<sf_tensor_view> memory;
    for (size_t i = 0; i < in.size(); ++i) {
      if (in[i].prompt.empty()) throw std::invalid_argument("a generation request has no prompt token");
      reqs_[i].in = &in[i];
      reqs_[i].hyps.push_back(Hyp{{}, 0.0, static_cast<uint32_t>(i), 0});
      if (with_memory) memory.push_back(in[i].memory);
    }
    rows_ = static_cast<uint32_t>(in.size());
    m_.begin(rows_, memory);
  }
  ~Engine() { m_.end(); }

  std::vector<GenerateResult> run() {
    std::vector<int64_t> tokens(rows_);
    for (size_t i = 0; i < reqs_.size(); ++i) tokens[i] = reqs_[i].in->prompt[0];
    std::vector<float> logits;
    std::vector<uint32_t> order;
    std::vector<int64_t> next_tokens;
    while (rows_ > 0) {
      m_.step(tokens, logits);
      order.clear();
      next_tokens.clear();
      for (Request& r : reqs_) {
        if (r.done) continue;
        ++r.fed;
        if (r.fed < r.in->prompt.size()) {  // still prefilling: one row, the next prompt token
          order.push_back(r.hyps[0].row);
          next_tokens.push_back(r.in->prompt[r.fed]);
          continue;
        }
        switch (o_.mode) {
          case GenMode::kGreedy:
          case GenMode::kSample: advance_sampled(r, logits); break;
          case GenMode::kBeam: advance_beam(r, logits); break;
        }
        for (Hyp& h : r.hyps) {
          order.push_back(h.row);
          next_tokens.push_back(h.gen.back());
        }
      }
      // New row i continues old row order[i]; record where each hypothesis now lives.
      bool identity = order.size() == rows_;
      for (size_t i = 0; identity && i < order.size(); ++i) identity = order[i] == i;
      uint32_t at = 0;
      for (Request& r : reqs_) {
        if (r.done) continue;
        for (Hyp& h : r.hyps) h.row = at++;
      }
      rows_ = static_cast<uint32_t>(order.size());
      if (!identity && rows_ > 0) m_.reorder(order);
      tokens = next_tokens;
    }
    std::vector<GenerateResult> out;
    for (Request& r : reqs_) out.push_back(std::move(r.result));
    return out;
  }

 private:
  std::vector<double> row_scores(const std::vector<float>& logits, uint32_t row) const {
    return std::vector<double>(logits.begin() + static_cast<int64_t>(row) * V_,
                               logits.begin() + static_cast<int64_t>(row + 1) * V_);
  }

  // Greedy search and sampling: each live row draws its token; a row ends at eos or max_new_tokens.
  void advance_sampled(Request& r, const std::vector<float>& logits) {
    if (r.hyps.size() == 1 && r.hyps[0].gen.empty() && o_.mode == GenMode::kSample) {
      const Hyp first = r.hyps[0];
      r.hyps.assign(o_.num_return_sequences, first);
      for (int32_t i = 0; i < o_.num_return_sequences; ++i) r.hyps[i].seq = i;
      r.result.sequences.resize(o_.num_return_sequences);
      r.result.scores.resize(o_.num_return_sequences);
    } else if (r.result.sequences.empty()) {
      r.result.sequences.resize(1);
      r.result.scores.resize(1);
    }
    std::vector<Hyp> live;
    for (Hyp& h : r.hyps) {
      std::vector<double> s = row_scores(logits, h.row);
      process_logits(o_, context_of(r, h), static_cast<int64_t>(h.gen.size()), false, s);
      std::vector<double> lp = s;
      log_softmax(lp);
      int64_t token = 0;
      if (o_.mode == GenMode::kGreedy) {
        token = argmax(s);
      } else {
        double total = 0;
        for (double v : lp) total += v == kNegInf ? 0.0 : std::exp(v);
        const double u =
            sample_uniform(o_.seed, r.in->key, static_cast<uint64_t>(h.seq), h.gen.size()) * total;
        double cum = 0;
        token = -1;
        for (int64_t t = 0; t < V_; ++t) {
          if (lp[t] == kNegInf) continue;
          cum += std::exp(lp[t]);
          token = t;
          if (cum > u) break;
        }
      }
      h.score += lp[token];
      h.gen.push_back(token);
      if (is_eos(o_, token) || static_cast<int64_t>(h.gen.size()) >= o_.max_new_tokens) {
        r.result.sequences[h.seq] = h.gen;
        r.result.scores[h.seq] = h.score;
      } else {
        live.push_back(std::move(h));
      }
    }
    r.hyps = std::move(live);
    if (r.hyps.empty()) r.done = true;
  }

  struct Cand {
    double score;
    int32_t beam;
    int64_t token;
  };

  void advance_beam(Request& r, const std::vector<float>& logits) {
    const int32_t B = o_.num_beams;
    const size_t keep =
        static_cast<size_t>(std::max<int64_t>(2, 1 + static_cast<int64_t>(o_.eos.size())) * B);
    if (r.best.empty()) {
      // The first step: num_beams copies of the prompt's row, all but the first at -1e9 (as transformers
      // starts), so that candidates come from the first unless the vocabulary is tiny.
      const Hyp first = r.hyps[0];
      r.hyps.assign(B, first);
      for (int32_t b = 1; b < B; ++b) r.hyps[b].score = kPenalty;
      r.best.assign(B, Finished{});
    }
    const int64_t g = static_cast<int64_t>(r.hyps[0].gen.size());  // generated before this step
    std::vector<Cand> cands;
    cands.reserve(keep * B);
    std::vector<Cand> mine;
    for (int32_t b = 0; b < B; ++b) {
      std::vector<double> s = row_scores(logits, r.hyps[b].row);
      process_logits(o_, context_of(r, r.hyps[b]), g, true, s);
      mine.clear();
      for (int64_t t = 0; t < V_; ++t) mine.push_back(Cand{s[t] + r.hyps[b].score, b, t});
      auto better = [](const Cand& a, const Cand& c) {
        if (a.score != c.score) return a.score > c.score;
        return a.beam != c.beam ? a.beam < c.beam : a.token < c.token;
      };
      const size_t k = std::min(keep, mine.size());
      std::partial_sort(mine.begin(), mine.begin() + k, mine.end(), better);
      cands.insert(cands.end(), mine.begin(), mine.begin() + k);
    }
    auto better = [](const Cand& a, const Cand& c) {
      if (a.score != c.score) return a.score > c.score;
      return a.beam != c.beam ? a.beam < c.beam : a.token < c.token;
    };
    std::sort(cands.begin(), cands.end(), better);
    cands.resize(std::min(keep, cands.size()));
    const bool at_max = g + 1 >= o_.max_new_tokens;
    std::vector<bool> hits(cands.size());
    bool all_hit = true;
    for (size_t i = 0; i < cands.size(); ++i) {
      hits[i] = at_max || is_eos(o_, cands[i].token);
      all_hit = all_hit && hits[i];
    }
    // Finished hypotheses: the first num_beams candidates that hit eos (or the length limit) compete
    // with those already finished.
    bool full = true;
    for (const Finished& f : r.best) full = full && f.finished;
    const bool frozen = (full && o_.early_stopping == EarlyStopping::kTrue) || r.heuristic_done;
    const double norm = std::pow(static_cast<double>(g + 1), o_.length_penalty);
    std::vector<Finished> merged = r.best;
    for (size_t i = 0; i < cands.size(); ++i) {
      const bool eligible = hits[i] && i < static_cast<size_t>(B);
      Finished f;
      f.score = cands[i].score / norm + (frozen ? kPenalty : 0.0) + (eligible ? 0.0 : kPenalty);
      f.finished = eligible;
      f.gen = r.hyps[cands[i].beam].gen;
      f.gen.push_back(cands[i].token);
      merged.push_back(std::move(f));
    }
    std::stable_sort(merged.begin(), merged.end(),
                     [](const Finished& a, const Finished& c) { return a.score > c.score; });
    merged.resize(B);
    r.best = std::move(merged);
    // Running beams: the best num_beams candidates, those that hit a stop pushed to the end by -1e9.
    std::vector<size_t> idx(cands.size());
    std::iota(idx.begin(), idx.end(), 0);
    auto run_score = [&](size_t i) { return cands[i].score + (hits[i] ? kPenalty : 0.0); };
    std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t c) { return run_score(a) > run_score(c); });
    std::vector<Hyp> next;
    for (int32_t b = 0; b < B && b < static_cast<int32_t>(idx.size()); ++b) {
      const Cand& c = cands[idx[b]];
      Hyp h = r.hyps[c.beam];
      h.gen.push_back(c.token);
      h.score = run_score(idx[b]);
      next.push_back(std::move(h));
    }
    // transformers' early-stop heuristic: can the best running beam still beat the worst finished one?
    full = true;
    double worst = std::numeric_limits<double>::infinity();
    for (const Finished& f : r.best) {
      full = full && f.finished;
      worst = std::min(worst, f.score);
    }
    if (!r.heuristic_done && !next.empty()) {
      const double len = (o_.early_stopping == EarlyStopping::kNever && o_.length_penalty > 0.0)
                             ? static_cast<double>(o_.max_new_tokens)
                             : static_cast<double>(g + 1);
      const double best_possible = next[0].score / std::pow(len, o_.length_penalty);
      bool unsatisfied = false;
      for (const Finished& f : r.best)
        unsatisfied = unsatisfied || best_possible > (f.finished ? worst : kPenalty);
      r.heuristic_done = !unsatisfied;
    }
    r.hyps = std::move(next);
    const bool stop = r.heuristic_done || (full && o_.early_stopping == EarlyStopping::kTrue) || all_hit;
    if (stop) {
      for (int32_t i = 0; i < o_.num_return_sequences; ++i) {
        r.result.sequences.push_back(r.best[i].gen);
        r.result.scores.push_back(r.best[i].score);
      }
      r.hyps.clear();
      r.done = true;
    }
  }

  StepModel& m_;
  const GenerateOptions& o_;
  int64_t V_;
  std::vector<Request> reqs_;
  uint32_t rows_ = 0;
};

}  // namespace

std::vector<GenerateResult> generate(StepModel& model, const GenerateOptions& options,
                                     const std::vector<GenerateRequest>& requests, bool with_memory) {
  if (requests.empty()) return {};
  if (options.max_new_tokens < 1) throw std::invalid_argument("max_new_tokens must be at least 1");
  Engine e(model, options, requests, with_memory);
  return e.run();
}

}  // namespace seqflow::decode
