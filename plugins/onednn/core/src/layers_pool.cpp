// nn.MaxPool1d, nn.AvgPool1d, nn.AdaptiveMaxPool1d and nn.AdaptiveAvgPool1d over time, per feature
// (the channel dim of the [N, C, L] tensors PyTorch code hands them; the transposes are implied), and
// nn.Flatten of such a tensor: the layers that shrink, remove or (flip) reorder the time axis.
//
// Each record is pooled over its own steps, as run alone: PyTorch's implicit padding is -inf for max
// and zeros for avg at the record's own ends, never the batch's padding rows. The loops follow
// PyTorch's CPU kernels (window bounds, float sums in window order, divisors, NaN propagation), so
// outputs agree to the bit or nearly. Pooling reads several steps at once: no step mode.
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "onednn/layers.hpp"

namespace seqflow::onednn {
namespace {

// A layer whose output step t of record b reads a window of its input steps.
class Pool : public Layer {
 public:
  std::string step_unsupported() const override { return where + " pools several steps at once"; }

  void forward(Workspace& ws, Act& x, const Act*) const override {
    ws.to_layout(x, Layout::kNTC);
    Act y;
    y.layout = Layout::kNTC;
    y.B = x.B;
    y.T = out_length(x.T);
    y.C = x.C;
    y.slot = x.slot == kActA ? kActB : kActA;
    y.data = ws.buf(y.slot, static_cast<size_t>(y.B * y.T * y.C));
    for (int64_t l : x.len) y.len.push_back(out_length(l));
#pragma omp parallel for collapse(2) if (y.rows() * y.C > 65536)
    for (int64_t b = 0; b < y.B; ++b)
      for (int64_t t = 0; t < y.T; ++t)
        if (t < y.len[b]) pool(x, b, x.len[b], t, y.row(b, t));
    x = std::move(y);
  }

 protected:
  // Output step t of record b (of `len` steps) into out[0 .. C).
  virtual void pool(const Act& x, int64_t b, int64_t len, int64_t t, float* out) const = 0;
};

class WindowPool : public Pool {
 public:
  WindowPool(bool max, BuildCtx& ctx) : max_(max) {
    k_ = ctx.keys.get_int("kernel_size", 0, 1, kMaxWindow);
    if (!ctx.keys.has("kernel_size")) throw WeightsError(ctx.where() + ": needs key 'kernel_size'");
    stride_ = ctx.keys.get_int("stride", k_, 1, kMaxWindow);  // PyTorch's default stride is the kernel size
    pad_ = ctx.keys.get_int("padding", 0, 0, kMaxWindow);
    dilation_ = max ? ctx.keys.get_int("dilation", 1, 1, kMaxWindow) : 1;
    ceil_ = ctx.keys.get_bool("ceil_mode", false);
    include_pad_ = max ? true : ctx.keys.get_bool("count_include_pad", true);
    if (!max) {
      if (ctx.keys.has("divisor_override")) divisor_ = ctx.keys.get_int("divisor_override", 1, 1);
    } else if (ctx.keys.get_bool("return_indices", false)) {
      throw WeightsError(ctx.where() + ": return_indices = true is not supported (the layer returns values)");
    }
    if (pad_ * 2 > k_)  // PyTorch's check, on the kernel size even when dilated
      throw WeightsError(ctx.where() + ": padding " + std::to_string(pad_) +
                         " must be at most half the kernel (as in PyTorch)");
  }
  int64_t out_length(int64_t len) const override {
    // PyTorch's pooling_output_shape: ceil_mode rounds up, but the last window must start inside the
    // input or its left padding.
    const int64_t num = len + 2 * pad_ - dilation_ * (k_ - 1) - 1;
    if (num < 0) return 0;
    int64_t n = (ceil_ ? (num + stride_ - 1) / stride_ : num / stride_) + 1;
    if (ceil_ && (n - 1) * stride_ >= len + pad_) --n;
    return n;
  }

 protected:
  void pool(const Act& x, int64_t b, int64_t len, int64_t t, float* out) const override {
    const int64_t start = t * stride_ - pad_;
    if (max_) {
      for (int64_t c = 0; c < x.C; ++c) out[c] = -std::numeric_limits<float>::infinity();
      for (int64_t i = start; i < start + dilation_ * (k_ - 1) + 1; i += dilation_) {
        if (i < 0 || i >= len) continue;
        const float* in = x.row(b, i);
        for (int64_t c = 0; c < x.C; ++c)
          if (in[c] > out[c] || std::isnan(in[c])) out[c] = in[c];
      }
      return;
    }
    const int64_t end = std::min(start + k_, len + pad_);
    const int64_t lo = std::max<int64_t>(start, 0), hi = std::min(end, len);
    const int64_t divisor = divisor_ > 0 ? divisor_ : include_pad_ ? end - start : hi - lo;
    for (int64_t c = 0; c < x.C; ++c) {
      float sum = 0;
      for (int64_t i = lo; i < hi; ++i) sum += x.row(b, i)[c];
      out[c] = sum / static_cast<float>(divisor);
    }
  }

 private:
  bool max_;
  int64_t k_ = 1, stride_ = 1, pad_ = 0, dilation_ = 1, divisor_ = 0;
  bool ceil_ = false, include_pad_ = true;
};

class AdaptivePool : public Pool {
 public:
  AdaptivePool(bool max, BuildCtx& ctx) : max_(max) {
    if (!ctx.keys.has("output_size")) throw WeightsError(ctx.where() + ": needs key 'output_size'");
    size_ = ctx.keys.get_int("output_size", 1, 1, kMaxWindow);
    if (max && ctx.keys.get_bool("return_indices", false))
      throw WeightsError(ctx.where() + ": return_indices = true is not supported (the layer returns values)");
  }
  int64_t out_length(int64_t len) const override { return len > 0 ? size_ : 0; }

 protected:
  // PyTorch's start_index / end_index, in its float arithmetic.
  void pool(const Act& x, int64_t b, int64_t len, int64_t t, float* out) const override {
    const auto lo = static_cast<int64_t>(std::floor(static_cast<float>(t * len) / static_cast<float>(size_)));
    const auto hi =
        static_cast<int64_t>(std::ceil(static_cast<float>((t + 1) * len) / static_cast<float>(size_)));
    for (int64_t c = 0; c < x.C; ++c) {
      float acc = max_ ? -std::numeric_limits<float>::infinity() : 0.f;
      for (int64_t i = lo; i < hi; ++i) {
        const float v = x.row(b, i)[c];
        if (!max_) acc += v;
        else if (v > acc || std::isnan(v)) acc = v;
      }
      out[c] = max_ ? acc : acc / static_cast<float>(hi - lo);
    }
  }

 private:
  bool max_;
  int64_t size_ = 1;
};

// nn.Flatten() of [N, C, L]: a record of L steps becomes one step of C * L features, channel-major
// (feature c of step t at c * L + t). L is fixed by the next layer with a fixed input size (a
// linear's in_features = C * L), bound at build; a record of another length fails alone.
class Flatten : public Layer {
 public:
  explicit Flatten(BuildCtx& ctx) {
    const int64_t start = ctx.keys.get_int("start_dim", 1), end = ctx.keys.get_int("end_dim", -1);
    if (start != 1 || (end != -1 && end != 2))
      throw WeightsError(ctx.where() +
                         ": only start_dim = 1, end_dim = -1 (channels and time of [N, C, L]) is supported");
    if (ctx.in_dim < 0)
      throw WeightsError(ctx.where() + ": needs an earlier layer that fixes the feature size");
    in_dim = ctx.in_dim;
  }
  bool needs_output_binding() const override { return steps_ == 0; }
  void bind_output(int64_t in) override {
    if (in % in_dim != 0)
      throw WeightsError(where + ": the next layer with a fixed input size takes " + std::to_string(in) +
                         " features, not a multiple of the " + std::to_string(in_dim) +
                         " this flattens per step");
    steps_ = in / in_dim;
    out_dim = in;
  }
  std::string length_error(int64_t len) const override {
    if (len == steps_) return "";
    return where + " takes sequences of " + std::to_string(steps_) + " steps here (" +
           std::to_string(in_dim) + " features x " + std::to_string(steps_) + " = the next layer's " +
           std::to_string(out_dim) + " inputs), this one has " + std::to_string(len);
  }
  int64_t out_length(int64_t len) const override { return len > 0 ? 1 : 0; }
  std::string step_unsupported() const override { return where + " (flatten) takes a whole sequence"; }

  void forward(Workspace& ws, Act& x, const Act*) const override {
    ws.to_layout(x, Layout::kNTC);
    for (int64_t l : x.len)
      if (l != steps_) throw std::runtime_error(length_error(l));
    Act y;
    y.layout = Layout::kNTC;
    y.B = x.B;
    y.T = 1;
    y.C = out_dim;
    y.len.assign(static_cast<size_t>(x.B), 1);
    y.slot = x.slot == kActA ? kActB : kActA;
    y.data = ws.buf(y.slot, static_cast<size_t>(y.B * y.C));
    for (int64_t b = 0; b < x.B; ++b)
      for (int64_t t = 0; t < steps_; ++t) {
        const float* in = x.row(b, t);
        float* out = y.row(b, 0) + t;
        for (int64_t c = 0; c < in_dim; ++c) out[c * steps_] = in[c];
      }
    x = std::move(y);
  }

 private:
  int64_t steps_ = 0;
};

// torch.flip over time: each record's valid steps in reverse order (its padding stays after them).
// [flip, lstm, flip] is a unidirectional LSTM run right to left, as basecallers (Bonito's
// LSTM(reverse=True)) stack them between forward ones.
class Flip : public Layer {
 public:
  std::string step_unsupported() const override { return where + " (flip) needs a whole sequence"; }
  void forward(Workspace& ws, Act& x, const Act*) const override {
    Act y = ws.next(x, x.C, x.layout);
    const size_t bytes = static_cast<size_t>(x.C) * sizeof(float);
    for (int64_t b = 0; b < x.B; ++b)
      for (int64_t t = 0; t < x.len[b]; ++t) std::memcpy(y.row(b, t), x.row(b, x.len[b] - 1 - t), bytes);
    x = std::move(y);
  }
};

}  // namespace

std::unique_ptr<Layer> make_flip() { return std::make_unique<Flip>(); }

std::unique_ptr<Layer> make_flatten(BuildCtx& ctx) { return std::make_unique<Flatten>(ctx); }

std::unique_ptr<Layer> make_pool(const std::string& type, BuildCtx& ctx) {
  if (type == "max_pool1d" || type == "avg_pool1d") return std::make_unique<WindowPool>(type[0] == 'm', ctx);
  return std::make_unique<AdaptivePool>(type == "adaptive_max_pool1d", ctx);
}

}  // namespace seqflow::onednn
