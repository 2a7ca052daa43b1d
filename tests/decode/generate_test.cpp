// Generation against exhaustive search and the sampling distribution, on test models whose logits are a
// fixed function of each row's token history.
#include "decode/generate.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>

using namespace seqflow::decode;

namespace {

// Logits from a hash of the row's whole history: every sequence gets its own distribution.
std::vector<double> history_logits(const std::vector<int64_t>& history, int64_t V) {
  uint64_t h = 1469598103934665603ull;
  for (int64_t t : history) h = (h ^ static_cast<uint64_t>(t + 1)) * 1099511628211ull;
  std::vector<double> out(V);
  for (int64_t v = 0; v < V; ++v) {
    uint64_t x = h ^ (static_cast<uint64_t>(v) * 0x9E3779B97F4A7C15ull);
    x ^= x >> 31;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 29;
    out[v] = static_cast<double>(x % 10000) / 2000.0;  // 0 .. 5
  }
  return out;
}

class HistoryModel : public StepModel {
 public:
  explicit HistoryModel(int64_t V, std::function<std::vector<double>(const std::vector<int64_t>&)> f)
      : V_(V), f_(std::move(f)) {}
  int64_t vocab() const override { return V_; }
  void begin(uint32_t rows, const std::vector<sf_tensor_view>&) override { hist_.assign(rows, {}); }
  void step(const std::vector<int64_t>& tokens, std::vector<float>& logits) override {
    REQUIRE(tokens.size() == hist_.size());
    logits.clear();
    for (size_t r = 0; r < tokens.size(); ++r) {
      hist_[r].push_back(tokens[r]);
      for (double v : f_(hist_[r])) logits.push_back(static_cast<float>(v));
    }
    ++steps;
    rows_stepped += tokens.size();
  }
  void reorder(const std::vector<uint32_t>& rows) override {
    std::vector<std::vector<int64_t>> next;
    for (uint32_t r : rows) next.push_back(hist_.at(r));
    hist_ = std::move(next);
  }
  void end() override {}
  int steps = 0;
  size_t rows_stepped = 0;

 private:
  int64_t V_;
  std::function<std::vector<double>(const std::vector<int64_t>&)> f_;
  std::vector<std::vector<int64_t>> hist_;
};

double log_softmax_at(std::vector<double> s, int64_t t) {
  const double m = *std::max_element(s.begin(), s.end());
  double z = 0;
  for (double v : s) z += std::exp(v - m);
  return s[t] - m - std::log(z);
}

}  // namespace

TEST_CASE("beam search with enough beams finds the exhaustive search's best sequences", "[generate]") {
  const int64_t V = 4, eos = 3, max_new = 4;
  auto f = [&](const std::vector<int64_t>& h) { return history_logits(h, V); };
  for (int64_t start : {0, 1, 2}) {
    // Every sequence: ends at eos or after max_new tokens; score = sum of log-probabilities
    // (length_penalty 0).
    std::vector<std::pair<double, std::vector<int64_t>>> all;
    std::function<void(std::vector<int64_t>&, double)> walk = [&](std::vector<int64_t>& gen, double score) {
      std::vector<int64_t> hist{start};
      hist.insert(hist.end(), gen.begin(), gen.end());
      const std::vector<double> logits = f(hist);
      for (int64_t t = 0; t < V; ++t) {
        gen.push_back(t);
        const double s = score + log_softmax_at(logits, t);
        if (t == eos || static_cast<int64_t>(gen.size()) == max_new) all.emplace_back(s, gen);
        else walk(gen, s);
        gen.pop_back();
      }
    };
    std::vector<int64_t> gen;
    walk(gen, 0.0);
    std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first > b.first; });

    GenerateOptions o;
    o.mode = GenMode::kBeam;
    o.num_beams = 256;
    o.num_return_sequences = 5;
    o.max_new_tokens = max_new;
    o.eos = {eos};
    o.length_penalty = 0.0;
    o.early_stopping = EarlyStopping::kNever;
    HistoryModel m(V, f);
    auto r = generate(m, o, {GenerateRequest{{start}, {}, 1}}, false);
    REQUIRE(r[0].sequences.size() == 5);
    for (int i = 0; i < 5; ++i) {
      INFO("start " << start << " rank " << i);
      CHECK(r[0].sequences[i] == all[i].second);
      CHECK(r[0].scores[i] == Approx(all[i].first).margin(1e-5));  // the model's logits are f32
    }
  }
}

TEST_CASE("greedy search follows the processed argmax and stops at eos", "[generate]") {
  const int64_t V = 6;
  auto f = [&](const std::vector<int64_t>& h) { return history_logits(h, V); };
  GenerateOptions o;
  o.max_new_tokens = 12;
  o.eos = {5};
  HistoryModel m(V, f);
  auto r = generate(m, o, {GenerateRequest{{2, 4}, {}, 1}, GenerateRequest{{1}, {}, 2}}, false);
  for (size_t q = 0; q < 2; ++q) {
    std::vector<int64_t> hist = q == 0 ? std::vector<int64_t>{2, 4} : std::vector<int64_t>{1};
    std::vector<int64_t> want;
    double score = 0;
    for (int i = 0; i < 12; ++i) {
      std::vector<double> l = f(hist);
      for (double& v : l) v = static_cast<float>(v);
      const int64_t t = std::max_element(l.begin(), l.end()) - l.begin();
      score += log_softmax_at(l, t);
      want.push_back(t);
      hist.push_back(t);
      if (t == 5) break;
    }
    CHECK(r[q].sequences[0] == want);
    CHECK(r[q].scores[0] == Approx(score).margin(1e-9));
  }
}

TEST_CASE("logits processors: repetition penalty, no-repeat n-grams, min_new_tokens", "[generate]") {
  GenerateOptions o;
  o.repetition_penalty = 2.0;
  o.no_repeat_ngram_size = 2;
  o.min_new_tokens = 3;
  o.eos = {4};
  std::vector<double> s = {1.0, -1.0, 0.5, 2.0, 3.0};
  // Context 1 2 1: tokens 1 and 2 were seen; the bigram (1, 2) exists, so after "1" token 2 is banned.
  process_logits(o, {1, 2, 1}, 1, false, s);
  CHECK(s[0] == 1.0);
  CHECK(s[1] == -2.0);       // negative: times the penalty
  CHECK(s[2] == -INFINITY);  // (1, 2) would repeat
  CHECK(s[3] == 2.0);
  CHECK(s[4] == -INFINITY);  // eos before min_new_tokens
  std::vector<double> t = {1.0, -1.0, 0.5, 2.0, 3.0};
  process_logits(o, {0, 3}, 3, false, t);
  CHECK(t[0] == 0.5);  // positive: divided
  CHECK(t[3] == 1.0);
  CHECK(t[4] == 3.0);
}

TEST_CASE("samples follow the tempered, top-k and top-p truncated softmax (chi-square)", "[generate]") {
  const std::vector<double> L = {2.0, 1.0, 0.5, 0.0, -1.0, -3.0};
  struct Setting {
    double temperature;
    int64_t top_k;
    double top_p, min_p;
    std::vector<int64_t> kept;  // worked out by hand from the definitions
  };
  // T = 2: scaled 1, .5, .25, 0, -.5, -1.5; top_k 4 keeps 0..3 with p = .409 .248 .193 .150; top_p 0.8
  // drops the ascending tail with cumulative <= 0.2: token 3. T = 1, min_p 0.3: p = .561 .206 .125 .076
  // .028 .004, the floor .3 x .561 = .168 keeps 0 and 1.
  const std::vector<Setting> settings = {
      {2.0, 4, 0.8, 0.0, {0, 1, 2}}, {1.0, 0, 1.0, 0.3, {0, 1}}, {1.0, 3, 1.0, 0.0, {0, 1, 2}}};
  for (const Setting& st : settings) {
    GenerateOptions o;
    o.mode = GenMode::kSample;
    o.temperature = st.temperature;
    o.top_k = st.top_k;
    o.top_p = st.top_p;
    o.min_p = st.min_p;
    o.max_new_tokens = 500;
    o.seed = 2024;
    HistoryModel m(6, [&](const std::vector<int64_t>&) { return L; });
    std::vector<GenerateRequest> reqs;
    for (uint64_t k = 0; k < 20; ++k)
      reqs.push_back(GenerateRequest{{0}, {}, request_key("r" + std::to_string(k))});
    auto res = generate(m, o, reqs, false);
    std::map<int64_t, double> count;
    double n = 0;
    for (const auto& r : res)
      for (int64_t t : r.sequences[0]) {
        count[t] += 1;
        n += 1;
      }
    REQUIRE(n == 10000);
    double z = 0;
    for (int64_t t : st.kept) z += std::exp(L[t] / st.temperature);
    double chi2 = 0;
    for (int64_t t = 0; t < 6; ++t) {
      const bool kept = std::find(st.kept.begin(), st.kept.end(), t) != st.kept.end();
      if (!kept) {
        CHECK(count[t] == 0);
        continue;
      }
      const double expected = n * std::exp(L[t] / st.temperature) / z;
      chi2 += (count[t] - expected) * (count[t] - expected) / expected;
    }
    // The 0.999 quantile of chi-square with kept - 1 degrees of freedom (1: 10.83, 2: 13.82).
    const double limit = st.kept.size() == 2 ? 10.83 : 13.82;
    INFO("temperature " << st.temperature << " top_k " << st.top_k << " chi2 " << chi2);
    CHECK(chi2 < limit);
  }
}

TEST_CASE("sampled ids do not depend on the batch a request is in", "[generate]") {
  auto f = [](const std::vector<int64_t>& h) { return history_logits(h, 7); };
  GenerateOptions o;
  o.mode = GenMode::kSample;
  o.max_new_tokens = 10;
  o.eos = {6};
  o.num_return_sequences = 3;
  o.seed = 5;
  std::vector<GenerateRequest> reqs;
  for (int k = 0; k < 6; ++k)
    reqs.push_back(GenerateRequest{{k % 5, (k + 2) % 5}, {}, request_key("q" + std::to_string(k))});
  HistoryModel all(7, f);
  auto together = generate(all, o, reqs, false);
  for (size_t k = 0; k < reqs.size(); ++k) {
    HistoryModel one(7, f);
    auto alone = generate(one, o, {reqs[k]}, false);
    CHECK(alone[0].sequences == together[k].sequences);
  }
}

TEST_CASE("finished requests leave the session: later steps are narrower", "[generate]") {
  // Request 0 ends at once (its first token is eos); request 1 runs 8 steps.
  GenerateOptions o;
  o.max_new_tokens = 8;
  o.eos = {3};
  HistoryModel m(4, [](const std::vector<int64_t>& h) {
    std::vector<double> l(4, 0.0);
    l[h.front() == 0 ? 3 : 1] = 5.0;
    return l;
  });
  auto r = generate(m, o, {GenerateRequest{{0}, {}, 1}, GenerateRequest{{1}, {}, 2}}, false);
  CHECK(r[0].sequences[0] == std::vector<int64_t>{3});
  CHECK(r[1].sequences[0].size() == 8);
  CHECK(m.steps == 8);
  CHECK(m.rows_stepped == 2 + 7);
}
