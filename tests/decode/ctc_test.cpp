// CTC decoding against independent oracles (fixtures/ctc_cases.json, made by make_ctc_fixtures.py):
// brute-force enumeration of every alignment (the exact n-best labellings) and
// torch.nn.functional.ctc_loss (the exact log-likelihood of a labelling); beam = 1 against greedy.
#include "decode/ctc.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <random>

using namespace seqflow::decode;

namespace {

struct Case {
  std::string name;
  int64_t blank;
  std::vector<float> data;
  int64_t T, V;
  nlohmann::json j;
  LogProbs lp() const { return LogProbs{data.data(), T, V}; }
};

std::vector<Case> load_cases() {
  std::ifstream in(std::string(DECODE_FIXTURES) + "/ctc_cases.json");
  REQUIRE(in.good());
  nlohmann::json j = nlohmann::json::parse(in);
  std::vector<Case> out;
  for (const auto& c : j["cases"]) {
    Case k;
    k.name = c["name"];
    k.blank = c["blank"];
    k.T = static_cast<int64_t>(c["logprobs"].size());
    k.V = static_cast<int64_t>(c["logprobs"][0].size());
    for (const auto& row : c["logprobs"])
      for (double v : row) k.data.push_back(static_cast<float>(v));
    k.j = c;
    out.push_back(std::move(k));
  }
  return out;
}

Units letters(int64_t V, int64_t blank) {
  std::vector<std::string> s;
  for (int64_t i = 0; i < V; ++i) s.push_back(i == blank ? "_" : std::string(1, static_cast<char>('a' + i)));
  return Units::from_symbols(s, "", blank, "test");
}

CtcBeamOptions unpruned(int64_t blank, int beam, int nbest) {
  CtcBeamOptions o;
  o.blank = blank;
  o.beam = beam;
  o.nbest = nbest;
  o.beam_prune_logp = -1e30;
  o.token_min_logp = -1e30;
  return o;
}

}  // namespace

TEST_CASE("unpruned prefix beam search finds the brute-force n-best with torch's scores", "[ctc]") {
  int checked = 0;
  for (const Case& c : load_cases()) {
    if (!c.j.contains("nbest")) continue;
    INFO(c.name);
    Units u = letters(c.V, c.blank);
    const auto& ref = c.j["nbest"];
    CtcBeamSearch search(u, unpruned(c.blank, 100000, static_cast<int>(ref.size())), nullptr, nullptr,
                         nullptr);
    auto hyps = search.decode(c.lp());
    REQUIRE(hyps.size() == ref.size());
    for (size_t i = 0; i < ref.size(); ++i) {
      INFO("rank " << i);
      CHECK(hyps[i].ids == ref[i]["ids"].get<std::vector<int32_t>>());
      CHECK(hyps[i].acoustic == Approx(ref[i]["torch"].get<double>()).margin(1e-4));
      CHECK(hyps[i].acoustic == Approx(ref[i]["brute"].get<double>()).margin(1e-6));
      CHECK(hyps[i].lm == 0.0);
    }
    ++checked;
  }
  CHECK(checked == 10);
}

TEST_CASE("the exact log-likelihood equals -ctc_loss on long inputs", "[ctc]") {
  int checked = 0;
  for (const Case& c : load_cases()) {
    if (!c.j.contains("labellings")) continue;
    INFO(c.name);
    double best_ref = -INFINITY;
    for (const auto& l : c.j["labellings"]) {
      const auto ids = l["ids"].get<std::vector<int32_t>>();
      CHECK(ctc_log_likelihood(c.lp(), ids, c.blank) == Approx(l["torch"].get<double>()).margin(1e-4));
      best_ref = std::max(best_ref, l["torch"].get<double>());
      ++checked;
    }
    // The search's best is at least as likely as every labelling the fixture lists, and its score is
    // the exact likelihood of what it returns.
    Units u = letters(c.V, c.blank);
    CtcBeamOptions o;
    o.blank = c.blank;
    o.beam = 16;
    CtcBeamSearch search(u, o, nullptr, nullptr, nullptr);
    auto best = search.decode(c.lp()).front();
    CHECK(best.acoustic >= best_ref - 1e-6);
    CHECK(best.acoustic == Approx(ctc_log_likelihood(c.lp(), best.ids, c.blank)).margin(1e-9));
    for (const auto& l : c.j["labellings"])
      if (l["ids"].get<std::vector<int32_t>>() == best.ids)
        CHECK(best.acoustic == Approx(l["torch"].get<double>()).margin(1e-4));
  }
  CHECK(checked > 20);
}

TEST_CASE("beam = 1 equals greedy decoding, ties to the lower id", "[ctc]") {
  std::mt19937 gen(7);
  for (int trial = 0; trial < 200; ++trial) {
    const int64_t T = 1 + trial % 37, V = 2 + trial % 9, blank = trial % V;
    std::vector<float> x(T * V);
    std::normal_distribution<float> nd(0.f, 2.f);
    for (float& v : x) v = nd(gen);
    // Exact ties between two outputs in every third trial.
    if (trial % 3 == 0)
      for (int64_t t = 0; t < T; ++t) {
        float* row = x.data() + t * V;
        const float m = *std::max_element(row, row + V);
        row[t % V] = m;
        row[(t + 1) % V] = m;
      }
    for (int64_t t = 0; t < T; ++t) {  // log-softmax
      float* row = x.data() + t * V;
      double m = *std::max_element(row, row + V), s = 0;
      for (int64_t c = 0; c < V; ++c) s += std::exp(row[c] - m);
      for (int64_t c = 0; c < V; ++c) row[c] = static_cast<float>(row[c] - m - std::log(s));
    }
    LogProbs lp{x.data(), T, V};
    Units u = letters(V, blank);
    CtcBeamOptions o;
    o.blank = blank;
    o.beam = 1;
    CtcBeamSearch search(u, o, nullptr, nullptr, nullptr);
    auto g = ctc_greedy(lp, blank);
    auto b = search.decode(lp).front();
    INFO("trial " << trial);
    REQUIRE(b.ids == g.ids);
    REQUIRE(b.frames == g.frames);
    CHECK(b.acoustic == g.acoustic);
  }
}

TEST_CASE("greedy decoding merges repeats, removes blanks and keeps each label's first frame", "[ctc]") {
  // Frames spell a a _ a b b _ _ b: labels a a b b, first frames 0 3 4 8.
  const int V = 3;
  const int path[] = {1, 1, 0, 1, 2, 2, 0, 0, 2};
  std::vector<float> x;
  for (int s : path)
    for (int c = 0; c < V; ++c) x.push_back(c == s ? std::log(0.8f) : std::log(0.1f));
  LogProbs lp{x.data(), 9, V};
  auto g = ctc_greedy(lp, 0);
  CHECK(g.ids == std::vector<int32_t>{1, 1, 2, 2});
  CHECK(g.frames == std::vector<int32_t>{0, 3, 4, 8});
}

TEST_CASE("a labelling longer than the input fits no alignment", "[ctc]") {
  std::vector<float> x = {std::log(0.5f), std::log(0.5f), std::log(0.5f), std::log(0.5f)};
  LogProbs lp{x.data(), 2, 2};
  CHECK(ctc_log_likelihood(lp, {1, 1}, 0) == -INFINITY);  // a repeat needs a blank between: 3 frames
  CHECK(ctc_log_likelihood(lp, {1}, 0) == Approx(std::log(0.75)));
  CHECK(ctc_log_likelihood(lp, {}, 0) == Approx(std::log(0.25)));
}

TEST_CASE("NaN input and a vocabulary of another size are errors", "[ctc]") {
  std::vector<float> x = {0.f, NAN, 0.f, 0.f};
  LogProbs lp{x.data(), 2, 2};
  CHECK_THROWS_WITH(ctc_greedy(lp, 0), Catch::Contains("NaN at frame 0, index 1"));
  Units u = letters(3, 0);
  CtcBeamSearch search(u, CtcBeamOptions{}, nullptr, nullptr, nullptr);
  std::vector<float> y(4, std::log(0.5f));
  CHECK_THROWS_WITH(search.decode(LogProbs{y.data(), 2, 2}), Catch::Contains("vocabulary has 3 entries"));
}
