#include "ctc_output.hpp"

#include <cmath>

namespace seqflow::decode {

CtcCommon::CtcCommon(CreateContext& ctx)
    : input_name_(ctx.param("input").as_string()),
      logits_(ctx.param("logits").as_bool()),
      blank_(ctx.param("blank").as_int()),
      frame_shift_(ctx.param("frame_shift").as_float()),
      in_(ctx.field(input_name_)),
      text_(ctx.field_param("text")),
      score_(ctx.field_param("score")),
      ids_(ctx.field_param("ids")),
      frames_(ctx.field_param("frames")),
      word_times_(ctx.field_param("word_times")) {
  const bool has_labels = ctx.param("labels").present();
  const bool has_tokenizer = ctx.param("tokenizer").present();
  if (has_labels == has_tokenizer)
    throw Error(std::string("give exactly one of `labels` (a vocabulary file) and `tokenizer` (a ") +
                "text.tokenizer resource)" + (has_labels ? ", not both" : ""));
  if (!(frame_shift_ > 0) || !std::isfinite(frame_shift_))
    throw Error("frame_shift must be a positive number of seconds");
  try {
    if (has_labels) {
      vocab_source_ = ctx.param("labels").as_string();
      units_ = std::make_unique<Units>(
          Units::from_labels(vocab_source_, ctx.param("word_delimiter").as_string(), blank_));
    } else {
      auto [object, iface] =
          ctx.resource("tokenizer", SF_TEXT_TOKENIZER_INTERFACE, SF_TEXT_TOKENIZER_VERSION);
      vocab_source_ = "tokenizer '" + ctx.param("tokenizer").as_string() + "'";
      units_ = std::make_unique<Units>(
          Units::from_tokenizer(object, static_cast<const sf_text_tokenizer_v1*>(iface.vtable), blank_));
    }
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Error(e.what(), SF_ERR_INVALID);
  }
  if (blank_ < 0 || blank_ >= units_->size())
    throw Error("blank " + std::to_string(blank_) + " is outside the " + std::to_string(units_->size()) +
                " entries of " + vocab_source_ + " (ids 0.." + std::to_string(units_->size() - 1) + ")");
}

LogProbs CtcCommon::input(const Record& r) {
  matrix_ = read_matrix(r, in_, input_name_, false);
  if (matrix_.cols != units_->size())
    throw Error("field '" + input_name_ + "' has " + std::to_string(matrix_.cols) + " scores per frame but " +
                vocab_source_ + " has " + std::to_string(units_->size()) +
                " entries; the vocabulary must list one symbol per model output, the blank included");
  LogProbs lp{matrix_.data, matrix_.rows, matrix_.cols};
  if (logits_) {
    log_softmax_rows(matrix_.data, matrix_.rows, matrix_.cols, scratch_);
    lp.data = scratch_.data();
  }
  return lp;
}

void CtcCommon::write(Record& r, const CtcHypothesis& h) const {
  r.set_string(text_, units_->text(h.ids));
  r.set_float(score_, h.score);
  const auto n = static_cast<int64_t>(h.ids.size());
  auto ids = r.make_tensor<int32_t>(ids_, {n});
  std::copy(h.ids.begin(), h.ids.end(), ids.begin());
  auto frames = r.make_tensor<int32_t>(frames_, {n});
  std::copy(h.frames.begin(), h.frames.end(), frames.begin());
  const auto words = units_->words(h.ids);
  auto times = r.make_tensor<float>(word_times_, {static_cast<int64_t>(words.size()), 2});
  for (size_t w = 0; w < words.size(); ++w) {
    times[2 * w] = static_cast<float>(h.frames[words[w].first] * frame_shift_);
    times[2 * w + 1] = static_cast<float>((h.frames[words[w].second] + 1) * frame_shift_);
  }
}

}  // namespace seqflow::decode
