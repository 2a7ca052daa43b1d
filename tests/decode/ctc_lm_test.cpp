// Shallow fusion in the prefix beam search: LM scores equal to hand-computed ARPA back-off values, the LM
// changing the transcript, OOV words, hotwords (boosts once per occurrence, partial matches given back),
// the lexicon, and label frames on constructed inputs.
#include "decode/ctc.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>

using namespace seqflow::decode;
namespace fs = std::filesystem;

namespace {

const double kLn10 = std::log(10.0);

std::string write_temp(const std::string& name, const std::string& text) {
  fs::path p = fs::temp_directory_path() / ("seqflow_decode_lm_" + name);
  std::ofstream(p, std::ios::binary) << text;
  return p.string();
}

// _ a b c |  (blank 0, "|" the word delimiter)
Units units() { return Units::from_symbols({"_", "a", "b", "c", "|"}, "|", 0, "test"); }

// Frames given as {id: probability}; the rest of each frame's mass is shared by the other ids.
std::vector<float> frames(const std::vector<std::map<int, double>>& spec, int V = 5) {
  std::vector<float> x;
  for (const auto& f : spec) {
    double mass = 0;
    for (auto [id, p] : f) mass += p;
    const double rest = (1.0 - mass) / static_cast<double>(V - f.size());
    for (int c = 0; c < V; ++c) x.push_back(static_cast<float>(std::log(f.count(c) ? f.at(c) : rest)));
  }
  return x;
}

const char* const kArpa = R"(\data\
ngram 1=5
ngram 2=4
ngram 3=1

\1-grams:
-1.0	<s>	-0.5
-0.7	</s>
-0.6	a	-0.3
-0.9	b	-0.2
-1.2	<unk>

\2-grams:
-0.2	<s> a
-0.4	a b	-0.25
-0.3	b </s>
-0.35	b a

\3-grams:
-0.1	<s> a b

\end\
)";

CtcBeamOptions options(double alpha, double beta) {
  CtcBeamOptions o;
  o.alpha = alpha;
  o.beta = beta;
  o.unk_score = -10.0;
  return o;
}

}  // namespace

TEST_CASE("the LM changes the transcript and its score is the hand-computed back-off sum", "[ctc][lm]") {
  Units u = units();
  ArpaLm lm = ArpaLm::load(write_temp("tri.arpa", kArpa));
  // Acoustically "b a" (0.5 x 0.5) beats "a b" (0.4 x 0.4).
  auto x = frames({{{2, 0.5}, {1, 0.4}}, {{4, 0.9}}, {{1, 0.5}, {2, 0.4}}, {{0, 0.9}}});
  LogProbs lp{x.data(), 4, 5};
  CtcBeamSearch plain(u, options(0, 0), nullptr, nullptr, nullptr);
  CHECK(plain.decode(lp).front().ids == std::vector<int32_t>{2, 4, 1});

  // log10 P(a b </s>) = -0.2 (a | <s>) - 0.1 (b | <s> a) - 0.55 (</s> | a b: back-off -0.25, then -0.3).
  CtcBeamSearch fused(u, options(0.5, 1.5), &lm, nullptr, nullptr);
  auto best = fused.decode(lp).front();
  CHECK(best.ids == std::vector<int32_t>{1, 4, 2});
  CHECK(best.lm == Approx(0.5 * kLn10 * (-0.2 - 0.1 - 0.55) + 2 * 1.5).epsilon(1e-12));
  CHECK(best.acoustic == Approx(ctc_log_likelihood(lp, best.ids, 0)).epsilon(1e-12));
  CHECK(best.score == Approx(best.acoustic + best.lm).epsilon(1e-12));

  // "b a" is in the n-best: log10 = -1.4 (b | <s>) - 0.35 (a | b) - 1.0 (</s> | a); "a a" (second) is
  // -0.2 (a | <s>) - 0.9 (a | a = bo(a) + P(a)) - 1.0 (</s> | a).
  CtcBeamOptions o = options(0.5, 1.5);
  o.nbest = 4;
  CtcBeamSearch four(u, o, &lm, nullptr, nullptr);
  auto hyps = four.decode(lp);
  REQUIRE(hyps.size() == 4);
  CHECK(hyps[0].ids == best.ids);
  CHECK(hyps[1].ids == std::vector<int32_t>{1, 4, 1});
  CHECK(hyps[1].lm == Approx(0.5 * kLn10 * (-0.2 - 0.9 - 1.0) + 2 * 1.5).epsilon(1e-12));
  bool found = false;
  for (const auto& h : hyps) {
    if (h.ids != std::vector<int32_t>{2, 4, 1}) continue;
    found = true;
    CHECK(h.lm == Approx(0.5 * kLn10 * (-1.4 - 0.35 - 1.0) + 2 * 1.5).epsilon(1e-12));
  }
  CHECK(found);
  for (size_t i = 1; i < hyps.size(); ++i) CHECK(hyps[i - 1].score >= hyps[i].score);
}

TEST_CASE("a word the LM lacks scores P(<unk>) plus unk_score", "[ctc][lm]") {
  Units u = units();
  ArpaLm lm = ArpaLm::load(write_temp("tri2.arpa", kArpa));
  auto x = frames({{{3, 0.99}}, {{0, 0.99}}});
  CtcBeamOptions o = options(1.0, 0.0);
  o.unk_score = -1.0;
  CtcBeamSearch fused(u, o, &lm, nullptr, nullptr);
  auto best = fused.decode(LogProbs{x.data(), 2, 5}).front();
  CHECK(best.ids == std::vector<int32_t>{3});
  // P(<unk> | <s>) = bo(<s>) + P(<unk>) = -0.5 - 1.2; P(</s> | <unk>) = P(</s>) = -0.7.
  CHECK(best.lm == Approx(kLn10 * (-1.7 - 0.7) - 1.0).epsilon(1e-12));
}

TEST_CASE("hotwords: whole words, once per occurrence, partial matches given back", "[ctc][hotwords]") {
  Units u = units();
  // "b" (0.5) against "c" (0.4).
  auto x = frames({{{2, 0.5}, {3, 0.4}}, {{0, 0.9}}});
  LogProbs lp{x.data(), 2, 5};
  CtcBeamSearch none(u, options(0, 0), nullptr, nullptr, nullptr);
  CHECK(none.decode(lp).front().ids == std::vector<int32_t>{2});
  Hotwords c({{"c", 1.0}});
  CtcBeamSearch boosted(u, options(0, 0), nullptr, nullptr, &c);
  auto best = boosted.decode(lp).front();
  CHECK(best.ids == std::vector<int32_t>{3});
  CHECK(best.lm == Approx(1.0).epsilon(1e-12));

  // "c|c": two occurrences, two boosts; "cc" is another word: none.
  auto twice = frames({{{3, 0.9}}, {{4, 0.9}}, {{3, 0.9}}, {{0, 0.9}}});
  auto h2 = boosted.decode(LogProbs{twice.data(), 4, 5}).front();
  CHECK(h2.ids == std::vector<int32_t>{3, 4, 3});
  CHECK(h2.lm == Approx(2.0).epsilon(1e-12));
  auto cc = frames({{{3, 0.9}}, {{0, 0.9}}, {{3, 0.9}}});
  auto h3 = boosted.decode(LogProbs{cc.data(), 3, 5}).front();
  CHECK(h3.ids == std::vector<int32_t>{3, 3});
  CHECK(h3.lm == 0.0);

  // A phrase matched in part ("c" of "c a"): its partial boost is not kept.
  Hotwords phrase({{"c a", 5.0}});
  CtcBeamSearch partial(u, options(0, 0), nullptr, nullptr, &phrase);
  auto one = frames({{{3, 0.9}}, {{0, 0.9}}});
  auto h4 = partial.decode(LogProbs{one.data(), 2, 5}).front();
  CHECK(h4.ids == std::vector<int32_t>{3});
  CHECK(h4.lm == 0.0);
  // Completed: the whole boost, once.
  auto ca = frames({{{3, 0.9}}, {{4, 0.9}}, {{1, 0.9}}});
  auto h5 = partial.decode(LogProbs{ca.data(), 3, 5}).front();
  CHECK(h5.ids == std::vector<int32_t>{3, 4, 1});
  CHECK(h5.lm == Approx(5.0).epsilon(1e-12));
}

TEST_CASE("the lexicon keeps words outside it out of the transcript", "[ctc][lexicon]") {
  Units u = units();
  Lexicon lex = Lexicon::load(write_temp("lexicon.txt", "ab a b\nc c\n"));
  CHECK(lex.size() == 2);
  // Acoustically "ba"; the lexicon allows "ab" and "c".
  auto x = frames({{{2, 0.5}, {1, 0.4}}, {{0, 0.9}}, {{1, 0.5}, {2, 0.4}}, {{0, 0.9}}});
  LogProbs lp{x.data(), 4, 5};
  CtcBeamSearch plain(u, options(0, 0), nullptr, nullptr, nullptr);
  CHECK(plain.decode(lp).front().ids == std::vector<int32_t>{2, 1});
  CtcBeamSearch with(u, options(0, 0), nullptr, &lex, nullptr);
  CHECK(with.decode(lp).front().ids == std::vector<int32_t>{1, 2});
  CHECK_THROWS_WITH(Lexicon::load(write_temp("empty.txt", "\n  \n")), Catch::Contains("lists no word"));
}

TEST_CASE("label frames of the beam search on a constructed input", "[ctc]") {
  Units u = units();
  // a a _ b | | c _ : labels a b | c at frames 0 3 4 6.
  auto x = frames(
      {{{1, 0.9}}, {{1, 0.9}}, {{0, 0.9}}, {{2, 0.9}}, {{4, 0.9}}, {{4, 0.9}}, {{3, 0.9}}, {{0, 0.9}}});
  LogProbs lp{x.data(), 8, 5};
  CtcBeamSearch search(u, options(0, 0), nullptr, nullptr, nullptr);
  auto best = search.decode(lp).front();
  CHECK(best.ids == std::vector<int32_t>{1, 2, 4, 3});
  CHECK(best.frames == std::vector<int32_t>{0, 3, 4, 6});
  CHECK(u.text(best.ids) == "ab c");
  CHECK(u.words(best.ids) == std::vector<std::pair<int32_t, int32_t>>{{0, 1}, {3, 3}});
}
