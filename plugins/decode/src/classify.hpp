// decode.classify: logits -> label, probability and the top-k.
#pragma once

#include "decode/classify.hpp"

#include <seqflow/sdk.hpp>

#include <string>
#include <vector>

namespace seqflow::decode {

class Classify : public Transform<Classify> {
 public:
  static constexpr Info info{
      "classify",
      "Turns a classifier's scores into an answer: `logits` [C], or [T, C] pooled over time by `pool`, "
      "become "
      "probabilities (softmax in double unless `softmax` = false says they already are); writes the most "
      "probable class's label and probability, and the `top_k` best class ids with their probabilities "
      "(ties: the lower class id first). Without `labels` the label is the class id as text.",
      R"([[stage]]
name = "classify"
plugin = "decode.classify"
input = "logits"
labels = "labels.txt"
pool = "mean"
top_k = 5
)",
      SF_FLAG_THREAD_SAFE, 0};
  static constexpr sf_param_decl params[] = {
      Param::field("input", "\"logits\"", "Tensor field with the scores: [C] or [T, C] (f32, f16 or bf16)."),
      sf_param_decl{sizeof(sf_param_decl), "labels", SF_PARAM_PATH, 0, nullptr,
                    "File of class names, one per line (line i names class i); its line count must equal C. "
                    "Absent: labels are the class ids.",
                    nullptr, nullptr},
      Param::string("pool", "\"mean\"", "How a [T, C] input is reduced over T: mean, max, first or last.",
                    "mean|max|first|last"),
      Param::integer("top_k", "5", "How many of the best classes `top_ids`/`top_probs` hold (at most C)."),
      Param::boolean("softmax", "true",
                     "true: the input is logits and a softmax makes probabilities; false: the input already "
                     "holds probabilities (pooled as they are)."),
      Param::field("label", "\"label\"", "String field for the best class's label."),
      Param::field("score", "\"score\"", "Float field for the best class's probability."),
      Param::field("top_ids", "\"top_ids\"", "Tensor field (i32 [k]) for the best class ids, best first."),
      Param::field("top_probs", "\"top_probs\"", "Tensor field (f32 [k]) for their probabilities."),
  };
  static constexpr sf_field_decl fields[] = {
      Field::reads("input", "logits", SF_FIELD_TENSOR, SF_DTYPE_ANY, "Scores [C] or [T, C]."),
      Field::writes("label", "label", SF_FIELD_STRING, SF_DTYPE_ANY, "The best class's label."),
      Field::writes("score", "score", SF_FIELD_FLOAT, SF_DTYPE_ANY, "Its probability."),
      Field::writes("top_ids", "top_ids", SF_FIELD_TENSOR, SF_DTYPE_I32, "The top-k class ids."),
      Field::writes("top_probs", "top_probs", SF_FIELD_TENSOR, SF_DTYPE_F32, "Their probabilities."),
  };

  explicit Classify(CreateContext& ctx);
  void process(Context& ctx, Record& r);

 private:
  std::string input_name_;
  std::vector<std::string> labels_;
  std::string labels_path_;
  Pool pool_;
  int64_t top_k_;
  bool softmax_;
  Slot in_, label_, score_, top_ids_, top_probs_;
};

}  // namespace seqflow::decode
