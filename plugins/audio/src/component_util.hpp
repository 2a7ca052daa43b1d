// Helpers shared by the audio transforms: reading a record's waveform and rate, writing a [rows, cols]
// feature tensor, and the error text for a record of the wrong shape.
//
// Threading: plain functions over the caller's record. Errors: seqflow::Error naming the field.
#pragma once

#include <seqflow/sdk.hpp>

#include <cstdio>
#include <span>
#include <string>
#include <vector>

namespace seqflow::audio {

/// A number as a user wrote it: 1, 0.25, 1e-05 (no trailing zeros).
inline std::string num_text(double v) {
  char b[32];
  std::snprintf(b, sizeof(b), "%g", v);
  return b;
}

/// The samples of a 1-D f32 field (a [1, T] tensor is accepted as mono too).
inline std::span<const float> waveform_of(const Record& r, Slot field, const std::string& name) {
  const Tensor t = r.tensor(field);
  if (t.dtype() != SF_DTYPE_F32) {
    throw Error("field '" + name + "' has dtype " + dtype_name(t.dtype()) + "; audio must be f32 [T]");
  }
  if (!(t.ndim() == 1 || (t.ndim() == 2 && t.dim(0) == 1))) {
    throw Error("field '" + name + "' has " + std::to_string(t.ndim()) +
                " dimensions; audio must be f32 [T] (mono: audio.read mixes or picks a channel)");
  }
  return t.data<float>();
}

/// The record's sample rate, checked.
inline double rate_of(const Record& r, Slot field) {
  const int64_t rate = r.integer(field);
  if (rate <= 0) throw Error("the record's sample_rate is " + std::to_string(rate) + "; it must be above 0");
  return static_cast<double>(rate);
}

inline void write_matrix(Record& r, Slot field, const std::vector<float>& data, int64_t rows, int64_t cols) {
  std::span<float> dst = r.make_tensor<float>(field, {rows, cols});
  std::copy(data.begin(), data.begin() + rows * cols, dst.begin());
}

}  // namespace seqflow::audio
