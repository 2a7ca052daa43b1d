// RealFft: the power spectrum of one real frame through FFTW (libfftw3-dev), in float or double.
//
// What it is: a per-instance FFTW r2c plan of size n (any n; FFTW factors it) and its aligned buffers.
// Lifecycle: construct once per worker and size, fill input(), call power(); reuse for every frame.
// Threading: FFTW's planner is not thread-safe, so plans are made under one process-wide mutex; executing
// a plan on this instance's own buffers is safe from one thread at a time. Plans use FFTW_ESTIMATE, which
// picks the same algorithm on every run: FFTW_MEASURE would time candidates and could pick a different
// one (and different rounding) from run to run, breaking byte-identical output.
// Ownership: the instance owns its plan and buffers. Errors: throws std::runtime_error when FFTW cannot
// plan (n < 1, out of memory).
#pragma once

#include <complex>
#include <cstddef>

namespace seqflow::audio {

template <class T>
class RealFft {
 public:
  explicit RealFft(int n);
  ~RealFft();
  RealFft(const RealFft&) = delete;
  RealFft& operator=(const RealFft&) = delete;

  int size() const { return n_; }
  /// The n real input values; the transform reads them and leaves them unchanged.
  T* input() { return in_; }
  /// Transforms input() and writes |X_k|^2 for k = 0 .. n/2 into `power` (n/2 + 1 values).
  void power(T* power);
  /// Transforms input(); spectrum() then holds X_k for k = 0 .. n/2.
  void execute();
  const std::complex<T>* spectrum() const { return reinterpret_cast<const std::complex<T>*>(out_); }

 private:
  int n_;
  T* in_ = nullptr;
  void* out_ = nullptr;
  void* plan_ = nullptr;
};

extern template class RealFft<float>;
extern template class RealFft<double>;

}  // namespace seqflow::audio
