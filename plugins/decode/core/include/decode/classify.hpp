// Classification decoding: pooling over time, softmax, top-k.
//
// What it is: the arithmetic of decode.classify, free of the SDK. Logits [C] or [T, C] are pooled over
// time (mean, max, first or last), turned into probabilities (a softmax in double, unless the input
// already holds probabilities) and ranked; ties go to the lower class id.
//
// Lifecycle and ownership: pure functions on values. Threading: any thread.
// Errors: std::invalid_argument for an empty input, NaN, or an unknown pool name.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace seqflow::decode {

enum class Pool { kMean, kMax, kFirst, kLast };

/// Parses "mean" | "max" | "first" | "last".
Pool parse_pool(const std::string& name);

/// Pools a [T, C] row-major matrix over T into C values (in double).
std::vector<double> pool_rows(const float* x, int64_t frames, int64_t classes, Pool pool);

/// Softmax in double (max subtracted first).
std::vector<double> softmax(const std::vector<double>& logits);

/// The `k` best class ids, highest value first, lower id first on ties.
std::vector<int32_t> top_k(const std::vector<double>& values, int64_t k);

}  // namespace seqflow::decode
