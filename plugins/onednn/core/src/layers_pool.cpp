// nn.MaxPool1d, nn.AvgPool1d, nn.AdaptiveMaxPool1d and nn.AdaptiveAvgPool1d over time, per feature
// (the channel dim of the [N, C, L] tensors PyTorch code hands them; the transposes are implied), and
// nn.Flatten of such a tensor, the 2-d pools after a conv2d: the layers that shrink, remove or (flip)
// reorder the time axis.
//
// Each record is pooled over its own steps, as run alone: PyTorch's implicit padding is -inf for max
// and zeros for avg at the record's own ends, never the batch's padding rows. The loops follow
// PyTorch's CPU kernels (window bounds, float sums in window order, divisors, NaN propagation), so
// outputs agree to the bit or nearly. Pooling reads several steps at once: no step mode.
#include <array>
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
    Act y = next_steps(ws, x, x.C);
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
    out_channels = 0;
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
    Act y = next_steps(ws, x, out_dim);
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

// nn.MaxPool2d and nn.AvgPool2d after a conv2d: over time (a record's own steps, as the 1-d pools)
// and over the F features of each of the C channels a step holds channel-major (layers_conv2d.cpp),
// which Model::build passes on from the conv2d. The loops are PyTorch's CPU kernels'.
class WindowPool2d : public Layer {
 public:
  WindowPool2d(bool max, BuildCtx& ctx) : max_(max), channels_(ctx.in_channels) {
    if (channels_ <= 0)
      throw WeightsError(ctx.where() + ": needs a conv2d before it (it pools each of the conv2d's channels)");
    if (!ctx.keys.has("kernel_size")) throw WeightsError(ctx.where() + ": needs key 'kernel_size'");
    k_ = ctx.keys.get_pair("kernel_size", 1, 1, kMaxWindow);
    stride_ = ctx.keys.has("stride") ? ctx.keys.get_pair("stride", 1, 1, kMaxWindow) : k_;
    pad_ = ctx.keys.get_pair("padding", 0, 0, kMaxWindow);
    dilation_ = max ? ctx.keys.get_pair("dilation", 1, 1, kMaxWindow) : std::array<int64_t, 2>{1, 1};
    bool time_is_width = false;
    read_time_dim(ctx, {&k_, &stride_, &pad_, &dilation_}, time_is_width);
    ceil_ = ctx.keys.get_bool("ceil_mode", false);
    include_pad_ = max ? true : ctx.keys.get_bool("count_include_pad", true);
    if (!max && ctx.keys.has("divisor_override")) divisor_ = ctx.keys.get_int("divisor_override", 1, 1);
    if (max && ctx.keys.get_bool("return_indices", false))
      throw WeightsError(ctx.where() + ": return_indices = true is not supported (the layer returns values)");
    for (int d = 0; d < 2; ++d)
      if (pad_[d] * 2 > k_[d])
        throw WeightsError(ctx.where() + ": padding " + std::to_string(pad_[d]) +
                           " must be at most half the kernel (as in PyTorch)");
    if (ctx.in_dim >= 0) {  // a width fixed at build gives the output's
      if (ctx.in_dim % channels_ != 0 || out_size(1, ctx.in_dim / channels_) <= 0)
        throw WeightsError(ctx.where() + ": the previous layer's " + std::to_string(ctx.in_dim) +
                           " features are not " + std::to_string(channels_) +
                           " channels of a feature count the window fits");
      in_dim = ctx.in_dim;
      out_dim = channels_ * out_size(1, in_dim / channels_);
    }
  }
  int64_t out_length(int64_t len) const override { return out_size(0, len); }
  bool keeps_unknown_width() const override { return false; }
  std::string step_unsupported() const override { return where + " pools several steps at once"; }

  void forward(Workspace& ws, Act& x, const Act*) const override {
    ws.to_layout(x, Layout::kNTC);
    const int64_t F = x.C / channels_, Fo = out_size(1, F);
    if (x.C % channels_ != 0 || Fo <= 0)
      throw std::runtime_error(where + ": " + std::to_string(x.C) + " features per step are not " +
                               std::to_string(channels_) + " channels of a feature count the window fits");
    Act y = next_steps(ws, x, channels_ * Fo);
#pragma omp parallel for collapse(2) if (y.rows() * y.C > 65536)
    for (int64_t b = 0; b < y.B; ++b)
      for (int64_t t = 0; t < y.T; ++t) {
        if (t >= y.len[b]) continue;
        for (int64_t c = 0; c < channels_; ++c)
          for (int64_t f = 0; f < Fo; ++f) y.row(b, t)[c * Fo + f] = pool(x, b, c, F, t, f);
      }
    x = std::move(y);
  }

 private:
  int64_t out_size(int d, int64_t n) const {
    const int64_t num = n + 2 * pad_[d] - dilation_[d] * (k_[d] - 1) - 1;
    if (num < 0) return 0;
    int64_t o = (ceil_ ? (num + stride_[d] - 1) / stride_[d] : num / stride_[d]) + 1;
    if (ceil_ && (o - 1) * stride_[d] >= n + pad_[d]) --o;
    return o;
  }
  float pool(const Act& x, int64_t b, int64_t c, int64_t F, int64_t t, int64_t f) const {
    const int64_t H = x.len[b];
    auto at = [&](int64_t i, int64_t j) { return x.row(b, i)[c * F + j]; };
    int64_t h0 = t * stride_[0] - pad_[0], w0 = f * stride_[1] - pad_[1];
    if (max_) {
      const int64_t h1 = std::min(h0 + (k_[0] - 1) * dilation_[0] + 1, H);
      const int64_t w1 = std::min(w0 + (k_[1] - 1) * dilation_[1] + 1, F);
      while (h0 < 0) h0 += dilation_[0];
      while (w0 < 0) w0 += dilation_[1];
      float m = -std::numeric_limits<float>::infinity();
      for (int64_t i = h0; i < h1; i += dilation_[0])
        for (int64_t j = w0; j < w1; j += dilation_[1])
          if (at(i, j) > m || std::isnan(at(i, j))) m = at(i, j);
      return m;
    }
    int64_t h1 = std::min(h0 + k_[0], H + pad_[0]), w1 = std::min(w0 + k_[1], F + pad_[1]);
    const int64_t pool_size = (h1 - h0) * (w1 - w0);
    h0 = std::max<int64_t>(h0, 0);
    w0 = std::max<int64_t>(w0, 0);
    h1 = std::min(h1, H);
    w1 = std::min(w1, F);
    if (h0 >= h1 || w0 >= w1) return 0.f;
    float sum = 0;
    for (int64_t i = h0; i < h1; ++i)
      for (int64_t j = w0; j < w1; ++j) sum += at(i, j);
    const int64_t divisor = divisor_ > 0 ? divisor_ : include_pad_ ? pool_size : (h1 - h0) * (w1 - w0);
    return sum / static_cast<float>(divisor);
  }

  bool max_;
  int64_t channels_;
  std::array<int64_t, 2> k_{1, 1}, stride_{1, 1}, pad_{0, 0}, dilation_{1, 1};
  bool ceil_ = false, include_pad_ = true;
  int64_t divisor_ = 0;
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

std::unique_ptr<Layer> make_pool2d(const std::string& type, BuildCtx& ctx) {
  return std::make_unique<WindowPool2d>(type == "max_pool2d", ctx);
}

std::unique_ptr<Layer> make_flatten(BuildCtx& ctx) { return std::make_unique<Flatten>(ctx); }

std::unique_ptr<Layer> make_pool(const std::string& type, BuildCtx& ctx) {
  if (type == "max_pool1d" || type == "avg_pool1d") return std::make_unique<WindowPool>(type[0] == 'm', ctx);
  return std::make_unique<AdaptivePool>(type == "adaptive_max_pool1d", ctx);
}

}  // namespace seqflow::onednn
