// Pooling, softmax and top-k against hand-computed values.
#include "decode/classify.hpp"

#include <catch2/catch.hpp>

#include <cmath>

using namespace seqflow::decode;

TEST_CASE("pooling over time", "[classify]") {
  const float x[] = {1, 5,  2,   // t = 0
                     3, -1, 2,   // t = 1
                     2, 0,  8};  // t = 2
  CHECK(pool_rows(x, 3, 3, Pool::kMean) == std::vector<double>{2.0, 4.0 / 3.0, 4.0});
  CHECK(pool_rows(x, 3, 3, Pool::kMax) == std::vector<double>{3, 5, 8});
  CHECK(pool_rows(x, 3, 3, Pool::kFirst) == std::vector<double>{1, 5, 2});
  CHECK(pool_rows(x, 3, 3, Pool::kLast) == std::vector<double>{2, 0, 8});
  CHECK_THROWS_WITH(parse_pool("median"), Catch::Contains("not one of mean, max, first, last"));
}

TEST_CASE("softmax and top-k with ties to the lower id", "[classify]") {
  auto p = softmax({0.0, std::log(3.0), std::log(3.0), std::log(2.0)});  // 1 : 3 : 3 : 2 of 9
  CHECK(p[0] == Approx(1.0 / 9));
  CHECK(p[1] == Approx(3.0 / 9));
  CHECK(p[3] == Approx(2.0 / 9));
  CHECK(top_k(p, 3) == std::vector<int32_t>{1, 2, 3});
  CHECK(top_k(p, 10).size() == 4);
  // Large logits do not overflow.
  auto q = softmax({1000.0, 1000.0 + std::log(4.0)});
  CHECK(q[1] == Approx(0.8));
  const float nan_in[] = {0.f, NAN};
  CHECK_THROWS_WITH(pool_rows(nan_in, 1, 2, Pool::kMean), Catch::Contains("NaN at frame 0, class 1"));
  CHECK_THROWS_WITH(pool_rows(nan_in, 0, 2, Pool::kMean),
                    Catch::Contains("the logits are empty (0 steps x 2 classes)") &&
                        Catch::Contains("a text without tokens"));
}
