#include "resampler.hpp"

#include <soxr.h>

#include <stdexcept>
#include <string>

namespace seqflow::audio {

Resampler::Resampler(double input_rate, double output_rate) : ratio_(output_rate / input_rate) {
  soxr_error_t err = nullptr;
  const soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
  const soxr_quality_spec_t quality = soxr_quality_spec(SOXR_HQ, 0);
  const soxr_runtime_spec_t runtime = soxr_runtime_spec(1);
  soxr_ = soxr_create(input_rate, output_rate, 1, &err, &io, &quality, &runtime);
  if (soxr_ == nullptr || err != nullptr) {
    throw std::runtime_error("libsoxr cannot resample " + std::to_string(input_rate) + " Hz to " +
                             std::to_string(output_rate) + " Hz: " + (err ? err : "unknown error"));
  }
}

Resampler::~Resampler() { soxr_delete(static_cast<soxr_t>(soxr_)); }

void Resampler::process(const float* in, size_t n, std::vector<float>& out) {
  soxr_t s = static_cast<soxr_t>(soxr_);
  const size_t room = static_cast<size_t>(static_cast<double>(n) * ratio_) + 64;
  while (true) {
    const size_t old = out.size();
    out.resize(old + room);
    size_t used = 0;
    size_t made = 0;
    soxr_error_t err = soxr_process(s, in, n, &used, out.data() + old, room, &made);
    out.resize(old + made);
    if (err != nullptr) throw std::runtime_error(std::string("libsoxr failed: ") + err);
    in += used;
    n -= used;
    if (n == 0 && made < room) return;
  }
}

void Resampler::flush(std::vector<float>& out) {
  soxr_t s = static_cast<soxr_t>(soxr_);
  while (true) {
    const size_t old = out.size();
    const size_t room = 4096;
    out.resize(old + room);
    size_t made = 0;
    soxr_error_t err = soxr_process(s, nullptr, 0, nullptr, out.data() + old, room, &made);
    out.resize(old + made);
    if (err != nullptr) throw std::runtime_error(std::string("libsoxr failed: ") + err);
    if (made == 0) return;
  }
}

}  // namespace seqflow::audio
