#include "decode/read_report.hpp"

#include <cmath>
#include <algorithm>
#include <cstdio>
#include <stdexcept>

namespace seqflow::decode {

Aggregate parse_aggregate(const std::string& name) {
  if (name == "mean") return Aggregate::kMean;
  if (name == "vote") return Aggregate::kVote;
  throw std::invalid_argument("aggregate = \"" + name + "\" is not one of mean, vote");
}

ReadAggregator::ReadAggregator(int64_t classes, Aggregate how, double threshold)
    : classes_(classes),
      how_(how),
      threshold_(threshold),
      sum_(static_cast<size_t>(classes), 0.0),
      sum1_(static_cast<size_t>(classes), 0.0),
      votes_(static_cast<size_t>(classes), 0.0),
      votes1_(static_cast<size_t>(classes), 0.0),
      window_(static_cast<size_t>(classes), 0.0),
      counts_(static_cast<size_t>(classes) + 1, 0) {
  if (classes < 1) throw std::invalid_argument("a read report needs at least one class");
  if (!(threshold >= 0.0 && threshold <= 1.0))
    throw std::invalid_argument("threshold = " + std::to_string(threshold) + " is not a probability in [0, 1]");
}

void ReadAggregator::add_window(const int32_t* ids, const float* probs, int64_t k, double weight) {
  if (k != classes_)
    throw std::invalid_argument("a window lists " + std::to_string(k) + " classes but there are " +
                                std::to_string(classes_) + "; give decode.classify top_k = " +
                                std::to_string(classes_) + " so that every class's probability reaches the read");
  if (!(weight >= 0.0) || std::isinf(weight))
    throw std::invalid_argument("a window's weight is " + std::to_string(weight) + "; it must be 0 or more");
  std::fill(window_.begin(), window_.end(), -1.0);
  for (int64_t i = 0; i < k; ++i) {
    const int32_t c = ids[i];
    if (c < 0 || c >= classes_)
      throw std::invalid_argument("class id " + std::to_string(c) + " is outside the " +
                                  std::to_string(classes_) + " classes");
    if (window_[static_cast<size_t>(c)] >= 0.0)
      throw std::invalid_argument("class id " + std::to_string(c) + " is listed twice in one window");
    const double p = probs[i];
    if (!(p >= 0.0 && p <= 1.0 + 1e-6))
      throw std::invalid_argument("class " + std::to_string(c) + " has probability " + std::to_string(p) +
                                  ", not in [0, 1]");
    window_[static_cast<size_t>(c)] = p;
  }
  int32_t best = 0;
  for (int64_t c = 0; c < classes_; ++c) {
    sum_[static_cast<size_t>(c)] += weight * window_[static_cast<size_t>(c)];
    sum1_[static_cast<size_t>(c)] += window_[static_cast<size_t>(c)];
    if (window_[static_cast<size_t>(c)] > window_[static_cast<size_t>(best)]) best = static_cast<int32_t>(c);
  }
  votes_[static_cast<size_t>(best)] += weight;
  votes1_[static_cast<size_t>(best)] += 1.0;
  weight_ += weight;
  ++windows_;
}

ReadCall ReadAggregator::finish_read() {
  if (windows_ == 0) throw std::invalid_argument("a read without windows has no call");
  // All-zero weights (windows of no bases) count every window once.
  const bool unweighted = weight_ <= 0.0;
  const std::vector<double>& sum = unweighted ? sum1_ : sum_;
  const double total = unweighted ? static_cast<double>(windows_) : weight_;
  const std::vector<double>& rank = how_ == Aggregate::kMean ? sum : (unweighted ? votes1_ : votes_);
  int32_t best = 0;
  for (int64_t c = 1; c < classes_; ++c)
    if (rank[static_cast<size_t>(c)] > rank[static_cast<size_t>(best)]) best = static_cast<int32_t>(c);
  ReadCall call;
  call.windows = windows_;
  call.probability = sum[static_cast<size_t>(best)] / total;
  call.class_id = call.probability >= threshold_ ? best : -1;
  ++counts_[call.class_id < 0 ? static_cast<size_t>(classes_) : static_cast<size_t>(call.class_id)];
  for (auto* v : {&sum_, &sum1_, &votes_, &votes1_}) std::fill(v->begin(), v->end(), 0.0);
  weight_ = 0.0;
  windows_ = 0;
  return call;
}

std::string format_probability(double p, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, p);
  return buf;
}

std::string format_summary(const std::vector<std::string>& labels, const std::string& unknown_label,
                           const std::vector<int64_t>& counts) {
  int64_t total = 0;
  for (int64_t n : counts) total += n;
  std::string out = "label\treads\tpercent\n";
  auto line = [&](const std::string& name, int64_t n) {
    out += name + "\t" + std::to_string(n) + "\t" +
           format_probability(total > 0 ? 100.0 * static_cast<double>(n) / static_cast<double>(total) : 0.0, 2) +
           "\n";
  };
  for (size_t c = 0; c < labels.size(); ++c) line(labels[c], counts[c]);
  line(unknown_label, counts[labels.size()]);
  line("total", total);
  return out;
}

}  // namespace seqflow::decode
