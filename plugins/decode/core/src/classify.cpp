#include "decode/classify.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace seqflow::decode {

Pool parse_pool(const std::string& name) {
  if (name == "mean") return Pool::kMean;
  if (name == "max") return Pool::kMax;
  if (name == "first") return Pool::kFirst;
  if (name == "last") return Pool::kLast;
  throw std::invalid_argument("pool '" + name + "' is not one of mean, max, first, last");
}

std::vector<double> pool_rows(const float* x, int64_t frames, int64_t classes, Pool pool) {
  // A model gives a record of no steps no output steps: a text without a single token, say.
  if (frames <= 0 || classes <= 0)
    throw std::invalid_argument("the logits are empty (" + std::to_string(frames) + " steps x " +
                                std::to_string(classes) +
                                " classes): nothing to classify, e.g. a text without tokens; drop such "
                                "records before the model or let on_error = \"skip\" log them");
  for (int64_t i = 0; i < frames * classes; ++i)
    if (std::isnan(x[i]))
      throw std::invalid_argument("the logits hold NaN at frame " + std::to_string(i / classes) + ", class " +
                                  std::to_string(i % classes));
  std::vector<double> out(classes);
  switch (pool) {
    case Pool::kFirst: std::copy(x, x + classes, out.begin()); break;
    case Pool::kLast: std::copy(x + (frames - 1) * classes, x + frames * classes, out.begin()); break;
    case Pool::kMax:
      std::copy(x, x + classes, out.begin());
      for (int64_t t = 1; t < frames; ++t)
        for (int64_t c = 0; c < classes; ++c)
          out[c] = std::max(out[c], static_cast<double>(x[t * classes + c]));
      break;
    case Pool::kMean:
      for (int64_t t = 0; t < frames; ++t)
        for (int64_t c = 0; c < classes; ++c) out[c] += x[t * classes + c];
      for (double& v : out) v /= static_cast<double>(frames);
      break;
  }
  return out;
}

std::vector<double> softmax(const std::vector<double>& logits) {
  const double m = *std::max_element(logits.begin(), logits.end());
  std::vector<double> p(logits.size());
  if (std::isinf(m)) {
    // +inf logits share the mass; all -inf is no distribution.
    if (m < 0) throw std::invalid_argument("every logit is -inf: no class has any probability");
    size_t n = std::count(logits.begin(), logits.end(), m);
    for (size_t i = 0; i < p.size(); ++i) p[i] = logits[i] == m ? 1.0 / static_cast<double>(n) : 0.0;
    return p;
  }
  double sum = 0;
  for (size_t i = 0; i < p.size(); ++i) sum += p[i] = std::exp(logits[i] - m);
  for (double& v : p) v /= sum;
  return p;
}

std::vector<int32_t> top_k(const std::vector<double>& values, int64_t k) {
  std::vector<int32_t> ids(values.size());
  std::iota(ids.begin(), ids.end(), 0);
  const auto n = static_cast<size_t>(std::min<int64_t>(k, static_cast<int64_t>(values.size())));
  std::partial_sort(ids.begin(), ids.begin() + n, ids.end(), [&](int32_t a, int32_t b) {
    if (values[a] != values[b]) return values[a] > values[b];
    return a < b;
  });
  ids.resize(n);
  return ids;
}

}  // namespace seqflow::decode
