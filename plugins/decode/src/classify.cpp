#include "classify.hpp"

#include "common.hpp"

#include <fstream>

namespace seqflow::decode {

Classify::Classify(CreateContext& ctx)
    : input_name_(ctx.param("input").as_string()),
      top_k_(ctx.param("top_k").as_int()),
      softmax_(ctx.param("softmax").as_bool()),
      in_(ctx.field(input_name_)),
      label_(ctx.field_param("label")),
      score_(ctx.field_param("score")),
      top_ids_(ctx.field_param("top_ids")),
      top_probs_(ctx.field_param("top_probs")) {
  try {
    pool_ = parse_pool(ctx.param("pool").as_string());
  } catch (const std::exception& e) {
    throw Error(std::string("decode.classify: ") + e.what());
  }
  if (top_k_ < 1) throw Error("decode.classify: top_k must be at least 1, got " + std::to_string(top_k_));
  if (ctx.param("labels").present()) {
    labels_path_ = ctx.param("labels").as_string();
    std::ifstream in(labels_path_, std::ios::binary);
    if (!in) throw Error(labels_path_ + ": cannot open the labels file; check the `labels` path", SF_ERR_IO);
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      labels_.push_back(line);
    }
    if (labels_.empty()) throw Error(labels_path_ + ": the labels file is empty");
  }
}

void Classify::process(Context&, Record& r) {
  Matrix m = read_matrix(r, in_, input_name_, true);
  if (!labels_.empty() && m.cols != static_cast<int64_t>(labels_.size()))
    throw Error("field '" + input_name_ + "' has " + std::to_string(m.cols) + " classes but " + labels_path_ +
                " has " + std::to_string(labels_.size()) + " labels; they must match");
  std::vector<double> pooled = pool_rows(m.data, m.rows, m.cols, pool_);
  std::vector<double> probs = softmax_ ? softmax(pooled) : pooled;
  std::vector<int32_t> best = top_k(probs, top_k_);
  r.set_string(label_, labels_.empty() ? std::to_string(best[0]) : labels_[best[0]]);
  r.set_float(score_, probs[best[0]]);
  const auto k = static_cast<int64_t>(best.size());
  auto ids = r.make_tensor<int32_t>(top_ids_, {k});
  std::copy(best.begin(), best.end(), ids.begin());
  auto p = r.make_tensor<float>(top_probs_, {k});
  for (int64_t i = 0; i < k; ++i) p[i] = static_cast<float>(probs[best[i]]);
}

}  // namespace seqflow::decode
