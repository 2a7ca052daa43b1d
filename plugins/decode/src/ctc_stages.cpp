#include "ctc_stages.hpp"

#include <cmath>

namespace seqflow::decode {

void CtcGreedy::process(Context&, Record& r) {
  LogProbs lp = common_.input(r);
  common_.write(r, ctc_greedy(lp, common_.blank()));
}

CtcBeam::CtcBeam(CreateContext& ctx)
    : common_(ctx),
      acoustic_(ctx.field_param("acoustic_score")),
      lm_score_(ctx.field_param("lm_score")),
      nbest_ids_(ctx.field_param("nbest_ids")),
      nbest_scores_(ctx.field_param("nbest_scores")),
      nbest_text_(ctx.field_param("nbest_text")) {
  CtcBeamOptions o;
  o.blank = common_.blank();
  const int64_t beam = ctx.param("beam").as_int();
  const int64_t nbest = ctx.param("nbest").as_int();
  if (beam < 1 || beam > 100000)
    throw Error("beam must be between 1 and 100000, got " + std::to_string(beam));
  if (nbest < 1 || nbest > beam)
    throw Error("nbest must be between 1 and beam (" + std::to_string(beam) + "), got " +
                std::to_string(nbest));
  o.beam = static_cast<int32_t>(beam);
  o.nbest = static_cast<int32_t>(nbest);
  o.beam_prune_logp = ctx.param("beam_prune_logp").as_float();
  o.token_min_logp = ctx.param("token_min_logp").as_float();
  o.alpha = ctx.param("alpha").as_float();
  o.beta = ctx.param("beta").as_float();
  o.unk_score = ctx.param("unk_score").as_float();
  if (!(o.beam_prune_logp <= 0)) throw Error("beam_prune_logp must be <= 0 (a log-probability margin)");
  for (double v : {o.alpha, o.beta, o.unk_score, o.token_min_logp})
    if (!std::isfinite(v)) throw Error("alpha, beta, unk_score and token_min_logp must be finite");
  try {
    if (ctx.param("lm").present()) lm_ = ArpaLm::shared(ctx.param("lm").as_string());
    if (ctx.param("lexicon").present())
      lexicon_ = std::make_unique<Lexicon>(Lexicon::load(ctx.param("lexicon").as_string()));
    Value hot = ctx.param("hotwords");
    std::vector<std::pair<std::string, double>> phrases;
    for (size_t i = 0; i < hot.size(); ++i) {
      Value v = hot.item(i);
      if (v.kind() != SF_VALUE_INT && v.kind() != SF_VALUE_FLOAT)
        throw Error("hotwords: the boost of '" + std::string(hot.key(i)) + "' must be a number");
      phrases.emplace_back(std::string(hot.key(i)), v.as_float());
    }
    hotwords_ = Hotwords(phrases);
  } catch (const Error& e) {
    throw Error(e.what());
  } catch (const std::exception& e) {
    throw Error(e.what());
  }
  search_ = std::make_unique<CtcBeamSearch>(common_.units(), o, lm_.get(), lexicon_.get(), &hotwords_);
}

void CtcBeam::process(Context&, Record& r) {
  LogProbs lp = common_.input(r);
  std::vector<CtcHypothesis> hyps = search_->decode(lp);
  const CtcHypothesis& best = hyps.front();
  common_.write(r, best);
  r.set_float(acoustic_, best.acoustic);
  r.set_float(lm_score_, best.lm);
  size_t longest = 0;
  for (const CtcHypothesis& h : hyps) longest = std::max(longest, h.ids.size());
  const auto k = static_cast<int64_t>(hyps.size());
  auto ids = r.make_tensor<int32_t>(nbest_ids_, {k, static_cast<int64_t>(longest)});
  auto scores = r.make_tensor<float>(nbest_scores_, {k, 3});
  std::string text;
  for (int64_t i = 0; i < k; ++i) {
    const CtcHypothesis& h = hyps[i];
    for (size_t j = 0; j < longest; ++j) ids[i * longest + j] = j < h.ids.size() ? h.ids[j] : -1;
    scores[3 * i] = static_cast<float>(h.score);
    scores[3 * i + 1] = static_cast<float>(h.acoustic);
    scores[3 * i + 2] = static_cast<float>(h.lm);
    if (i > 0) text += '\n';
    text += common_.units().text(h.ids);
  }
  r.set_string(nbest_text_, text);
}

}  // namespace seqflow::decode
