#include "common.hpp"

#include <seqflow/half.hpp>

#include <algorithm>
#include <cmath>

namespace seqflow::decode {

Matrix read_matrix(const Record& r, Slot slot, const std::string& field, bool allow_1d) {
  if (!r.has(slot)) throw Error("field '" + field + "' is missing");
  if (r.type(slot) != SF_FIELD_TENSOR) throw Error("field '" + field + "' is not a tensor");
  Tensor t = r.tensor(slot);
  Matrix m;
  if (t.ndim() == 2) {
    m.rows = t.dim(0);
    m.cols = t.dim(1);
  } else if (t.ndim() == 1 && allow_1d) {
    m.rows = 1;
    m.cols = t.dim(0);
  } else {
    std::string shape;
    for (int64_t d : t.shape()) shape += (shape.empty() ? "" : ", ") + std::to_string(d);
    throw Error("field '" + field + "' has shape [" + shape + "]; expected " +
                (allow_1d ? "[C] or [T, C]" : "[T, V] (frames x vocabulary)"));
  }
  const int64_t n = m.rows * m.cols;
  switch (t.dtype()) {
    case SF_DTYPE_F32: m.data = static_cast<const float*>(t.raw()); break;
    case SF_DTYPE_F16:
    case SF_DTYPE_BF16: {
      m.converted.resize(n);
      const auto* h = static_cast<const uint16_t*>(t.raw());
      for (int64_t i = 0; i < n; ++i)
        m.converted[i] = t.dtype() == SF_DTYPE_F16 ? f16_to_float(h[i]) : bf16_to_float(h[i]);
      m.data = m.converted.data();
      break;
    }
    default:
      throw Error("field '" + field + "' has dtype " + dtype_name(t.dtype()) + "; expected f32, f16 or bf16");
  }
  return m;
}

void log_softmax_rows(const float* x, int64_t rows, int64_t cols, std::vector<float>& out) {
  out.resize(rows * cols);
  for (int64_t t = 0; t < rows; ++t) {
    const float* row = x + t * cols;
    const double m = *std::max_element(row, row + cols);
    double sum = 0;
    for (int64_t c = 0; c < cols; ++c) sum += std::exp(static_cast<double>(row[c]) - m);
    const double lz = m + std::log(sum);
    for (int64_t c = 0; c < cols; ++c) out[t * cols + c] = static_cast<float>(row[c] - lz);
  }
}

}  // namespace seqflow::decode
