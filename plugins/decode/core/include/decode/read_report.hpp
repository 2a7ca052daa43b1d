// Read-level classification from window classifications, and the per-class summary of a run.
//
// What it is: the arithmetic of decode.read_report, free of the SDK. A read cut into windows (dna.window)
// gets one probability vector per window (decode.classify's top_ids/top_probs with top_k = C); the read's
// answer is either the weighted mean of those vectors ("mean") or the class most windows chose, weighted
// ("vote"), with the mean probability of that class as its probability. A read whose probability is below
// the threshold is called `unknown_label`. Ties go to the lower class id, as in decode.classify.
//
// Lifecycle: add_window() for each window of a read, then finish_read() (which resets for the next read);
// counts() accumulates over every finished read. Threading: one thread at a time. Ownership: values.
// Errors: std::invalid_argument naming what is wrong (ids outside the classes, a class missing from a
// window's list, a negative or NaN probability or weight, finish_read() without a window).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace seqflow::decode {

enum class Aggregate { kMean, kVote };

/// Parses "mean" | "vote".
Aggregate parse_aggregate(const std::string& name);

struct ReadCall {
  int32_t class_id = -1;  // -1: below the threshold (unknown)
  double probability = 0.0;
  int64_t windows = 0;
};

class ReadAggregator {
 public:
  ReadAggregator(int64_t classes, Aggregate how, double threshold);

  /// One window: `k` class ids and their probabilities (every class once: k == classes), weighted.
  void add_window(const int32_t* ids, const float* probs, int64_t k, double weight);
  bool empty() const { return windows_ == 0; }
  /// The read's call from the windows added since the last call; counted in counts().
  ReadCall finish_read();
  /// Reads per class, the unknown ones last (classes + 1 entries).
  const std::vector<int64_t>& counts() const { return counts_; }

 private:
  int64_t classes_;
  Aggregate how_;
  double threshold_;
  std::vector<double> sum_, sum1_;      // probabilities per class: weighted, and each window once
  std::vector<double> votes_, votes1_;  // votes per class: weighted, and each window once
  std::vector<double> window_;
  double weight_ = 0.0;
  int64_t windows_ = 0;
  std::vector<int64_t> counts_;
};

/// The summary table: a header, one line per class (in class order) and the unknown line, then the total:
/// `label<TAB>reads<TAB>percent` with the percent of all reads to two decimals.
std::string format_summary(const std::vector<std::string>& labels, const std::string& unknown_label,
                           const std::vector<int64_t>& counts);

/// A probability as fixed-point text with `digits` decimals ("%.*f").
std::string format_probability(double p, int digits);

}  // namespace seqflow::decode
