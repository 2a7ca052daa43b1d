// Helpers shared by the decode stages: reading score matrices from records, a log-softmax.
// Threading: pure functions. Ownership: a Matrix points into the record (or its own copy for f16/bf16)
// and is valid while the field is. Errors: seqflow::Error naming the field.
#pragma once

#include <seqflow/sdk.hpp>

#include <string>
#include <vector>

namespace seqflow::decode {

/// A record's float matrix: rank 1 ([C], one frame) or rank 2 ([T, C]); f32 used in place, f16 and bf16
/// converted. Throws naming `field` for another rank or dtype.
struct Matrix {
  const float* data = nullptr;
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<float> converted;  // storage when the input was not f32
};
Matrix read_matrix(const Record& r, Slot slot, const std::string& field, bool allow_1d);

/// Row-wise log-softmax in double, written as float into `out` (resized).
void log_softmax_rows(const float* x, int64_t rows, int64_t cols, std::vector<float>& out);

}  // namespace seqflow::decode
