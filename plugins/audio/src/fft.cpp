#include "fft.hpp"

#include "simd.hpp"

#include <fftw3.h>

#include <mutex>
#include <stdexcept>
#include <string>

namespace seqflow::audio {

namespace {
std::mutex& planner_mutex() {
  static std::mutex m;
  return m;
}

template <class T>
struct Fftw;
template <>
struct Fftw<float> {
  using Complex = fftwf_complex;
  using Plan = fftwf_plan;
  static void* alloc(size_t bytes) { return fftwf_malloc(bytes); }
  static void release(void* p) { fftwf_free(p); }
  static Plan plan(int n, float* in, Complex* out) {
    return fftwf_plan_dft_r2c_1d(n, in, out, FFTW_ESTIMATE);
  }
  static void run(Plan p) { fftwf_execute(p); }
  static void destroy(Plan p) { fftwf_destroy_plan(p); }
};
template <>
struct Fftw<double> {
  using Complex = fftw_complex;
  using Plan = fftw_plan;
  static void* alloc(size_t bytes) { return fftw_malloc(bytes); }
  static void release(void* p) { fftw_free(p); }
  static Plan plan(int n, double* in, Complex* out) {
    return fftw_plan_dft_r2c_1d(n, in, out, FFTW_ESTIMATE);
  }
  static void run(Plan p) { fftw_execute(p); }
  static void destroy(Plan p) { fftw_destroy_plan(p); }
};
}  // namespace

template <class T>
RealFft<T>::RealFft(int n) : n_(n) {
  using F = Fftw<T>;
  if (n < 1) throw std::runtime_error("FFT size " + std::to_string(n) + " must be 1 or more");
  in_ = static_cast<T*>(F::alloc(sizeof(T) * static_cast<size_t>(n)));
  out_ = F::alloc(sizeof(typename F::Complex) * static_cast<size_t>(n / 2 + 1));
  if (in_ == nullptr || out_ == nullptr) {
    F::release(in_);
    F::release(out_);
    throw std::runtime_error("out of memory for an FFT of size " + std::to_string(n));
  }
  for (int i = 0; i < n; ++i) in_[i] = 0;
  {
    std::lock_guard<std::mutex> lock(planner_mutex());
    plan_ = F::plan(n, in_, static_cast<typename F::Complex*>(out_));
  }
  if (plan_ == nullptr) {
    F::release(in_);
    F::release(out_);
    throw std::runtime_error("FFTW could not plan a real FFT of size " + std::to_string(n));
  }
}

template <class T>
RealFft<T>::~RealFft() {
  using F = Fftw<T>;
  {
    std::lock_guard<std::mutex> lock(planner_mutex());
    F::destroy(static_cast<typename F::Plan>(plan_));
  }
  F::release(in_);
  F::release(out_);
}

template <class T>
void RealFft<T>::execute() {
  Fftw<T>::run(static_cast<typename Fftw<T>::Plan>(plan_));
}

template <class T>
SEQFLOW_AUDIO_HOT void RealFft<T>::power(T* power) {
  execute();
  const T* c = static_cast<const T*>(out_);
  const int bins = n_ / 2 + 1;
  for (int k = 0; k < bins; ++k) power[k] = c[2 * k] * c[2 * k] + c[2 * k + 1] * c[2 * k + 1];
}

template class RealFft<float>;
template class RealFft<double>;

}  // namespace seqflow::audio
