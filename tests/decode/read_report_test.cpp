// Read-level calls from window probabilities and the run summary, against hand-computed values.
#include "decode/read_report.hpp"

#include <catch2/catch.hpp>

using namespace seqflow::decode;

namespace {
// A window's probabilities given in class order, passed in decode.classify's best-first order.
void add(ReadAggregator& a, std::vector<float> p, double weight = 1.0) {
  std::vector<int32_t> ids(p.size());
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int32_t>(i);
  std::sort(ids.begin(), ids.end(), [&](int32_t x, int32_t y) { return p[x] > p[y] || (p[x] == p[y] && x < y); });
  std::vector<float> sorted;
  for (int32_t i : ids) sorted.push_back(p[static_cast<size_t>(i)]);
  a.add_window(ids.data(), sorted.data(), static_cast<int64_t>(ids.size()), weight);
}
}  // namespace

TEST_CASE("mean of window probabilities, weighted by length", "[read_report]") {
  ReadAggregator a(3, Aggregate::kMean, 0.0);
  add(a, {0.5f, 0.25f, 0.25f}, 150);
  add(a, {0.0f, 1.0f, 0.0f}, 50);
  // class 0: (0.5*150 + 0)/200 = 0.375; class 1: (0.25*150 + 50)/200 = 0.4375; class 2: 0.1875.
  ReadCall c = a.finish_read();
  CHECK(c.class_id == 1);
  CHECK(c.probability == Approx(0.4375));
  CHECK(c.windows == 2);
  CHECK(a.empty());
  // Unweighted, the same windows give class 1 (0.625 / 2) over class 0 (0.25).
  add(a, {0.5f, 0.25f, 0.25f});
  add(a, {0.0f, 1.0f, 0.0f});
  c = a.finish_read();
  CHECK(c.class_id == 1);
  CHECK(c.probability == Approx(0.625));
  CHECK(a.counts() == std::vector<int64_t>{0, 2, 0, 0});
}

TEST_CASE("vote: the class most windows chose, with its mean probability", "[read_report]") {
  ReadAggregator a(3, Aggregate::kVote, 0.0);
  add(a, {0.6f, 0.4f, 0.0f});
  add(a, {0.6f, 0.4f, 0.0f});
  add(a, {0.0f, 1.0f, 0.0f});
  // Votes 2:1 for class 0 although the mean favours class 1 (0.6 vs 0.4); probability 1.2/3 = 0.4.
  ReadCall c = a.finish_read();
  CHECK(c.class_id == 0);
  CHECK(c.probability == Approx(0.4));
  // A tie of votes goes to the lower class id.
  add(a, {0.1f, 0.0f, 0.9f});
  add(a, {0.0f, 0.8f, 0.2f});
  CHECK(a.finish_read().class_id == 1);
}

TEST_CASE("threshold: reads below it are unknown and counted last", "[read_report]") {
  ReadAggregator a(2, Aggregate::kMean, 0.7);
  add(a, {0.69f, 0.31f});
  ReadCall c = a.finish_read();
  CHECK(c.class_id == -1);
  CHECK(c.probability == Approx(0.69));
  add(a, {0.2f, 0.8f});
  CHECK(a.finish_read().class_id == 1);
  CHECK(a.counts() == std::vector<int64_t>{0, 1, 1});
  // Windows of zero weight (no bases) count once each rather than dividing by zero.
  add(a, {0.1f, 0.9f}, 0.0);
  c = a.finish_read();
  CHECK(c.class_id == 1);
  CHECK(c.probability == Approx(0.9));
}

TEST_CASE("malformed windows and parameters are refused", "[read_report]") {
  CHECK_THROWS_WITH(ReadAggregator(0, Aggregate::kMean, 0.5), Catch::Contains("at least one class"));
  CHECK_THROWS_WITH(ReadAggregator(2, Aggregate::kMean, 1.5), Catch::Contains("not a probability in [0, 1]"));
  CHECK_THROWS_WITH(ReadAggregator(2, Aggregate::kMean, -0.1), Catch::Contains("not a probability"));
  CHECK_THROWS_WITH(parse_aggregate("median"), Catch::Contains("not one of mean, vote"));
  ReadAggregator a(3, Aggregate::kMean, 0.0);
  const int32_t two[] = {0, 1};
  const float p2[] = {0.5f, 0.5f};
  CHECK_THROWS_WITH(a.add_window(two, p2, 2, 1.0), Catch::Contains("give decode.classify top_k = 3"));
  const int32_t out[] = {0, 1, 3};
  const float p3[] = {0.5f, 0.25f, 0.25f};
  CHECK_THROWS_WITH(a.add_window(out, p3, 3, 1.0), Catch::Contains("class id 3 is outside the 3 classes"));
  const int32_t twice[] = {0, 1, 1};
  CHECK_THROWS_WITH(a.add_window(twice, p3, 3, 1.0), Catch::Contains("listed twice"));
  const int32_t ok[] = {0, 1, 2};
  const float neg[] = {0.5f, -0.25f, 0.25f};
  CHECK_THROWS_WITH(a.add_window(ok, neg, 3, 1.0), Catch::Contains("not in [0, 1]"));
  CHECK_THROWS_WITH(a.add_window(ok, p3, 3, -1.0), Catch::Contains("must be 0 or more"));
  CHECK(a.empty());
  CHECK_THROWS_WITH(a.finish_read(), Catch::Contains("without windows"));
}

TEST_CASE("summary and probability text", "[read_report]") {
  CHECK(format_summary({"a", "b"}, "unknown", {3, 0, 1}) ==
        "label\treads\tpercent\na\t3\t75.00\nb\t0\t0.00\nunknown\t1\t25.00\ntotal\t4\t100.00\n");
  CHECK(format_summary({"a"}, "none", {0, 0}) == "label\treads\tpercent\na\t0\t0.00\nnone\t0\t0.00\ntotal\t0\t0.00\n");
  CHECK(format_probability(0.98765, 4) == "0.9877");
  CHECK(format_probability(1.0, 2) == "1.00");
  CHECK(format_probability(0.5, 0) == "0");
}
