// Windowed models and complex magnitudes: what a streaming speech model such as Silero VAD writes in
// the wrapper around its network rather than in the network itself.
//
// `windows` cuts each record into windows of `size` steps every `step` steps (PyTorch's
// x.unfold(1, size, step) after F.pad(x, padding)), runs its `layers` on every window as a record of
// its own (a batch of windows, as the wrapper's model call sees one window), and lays the windows'
// outputs end to end in time. With `pad_end`, zeros complete the last window, as a wrapper pads the
// last chunk of a recording. Windows run in blocks of at most kBlock, so the layers' activations stay
// the size of a block whatever the record's length; the block's window count is rounded up to a
// multiple of kGrain with silent zero windows, so that a few oneDNN primitive shapes serve every
// record (each new shape costs 0.05-0.2 ms to make).
//
// `magnitude` is |z| for a step whose first half of features is the real part and the second half the
// imaginary part of complex values: sqrt(re^2 + im^2), as Silero's STFT module computes it from its
// strided Conv1d (torch.abs of a complex tensor given as its two halves).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

#include "onednn/layers.hpp"

namespace seqflow::onednn {

namespace {

constexpr int64_t kBlock = 512;  // windows per run of the inner layers
constexpr int64_t kGrain = 32;

class Windows : public Layer {
 public:
  explicit Windows(BuildCtx& ctx) : depth_(ctx.depth) {
    if (depth_ >= kMaxResidualDepth)
      throw WeightsError(ctx.where() + ": windows, residual and gated blocks nest at most " +
                         std::to_string(kMaxResidualDepth) + " deep");
    size_ = ctx.keys.get_int("size", 0, 1, kMaxWindow);
    if (size_ == 0)
      throw WeightsError(ctx.where() + ": needs key 'size', the steps of one window (Silero VAD: 576)");
    step_ = ctx.keys.get_int("step", size_, 1, kMaxWindow);
    if (const ConfigValue* pad = ctx.keys.get_raw("padding")) {
      auto fits = [](int64_t v) { return v >= 0 && v <= kMaxWindow; };
      if (pad->kind == ConfigValue::Kind::kInt && fits(pad->i)) {
        pad_l_ = pad_r_ = pad->i;
      } else if (pad->kind == ConfigValue::Kind::kInts && pad->ints.size() == 2 && fits(pad->ints[0]) &&
                 fits(pad->ints[1])) {
        pad_l_ = pad->ints[0];
        pad_r_ = pad->ints[1];
      } else {
        throw WeightsError(ctx.where() +
                           ": key 'padding' must be an integer in [0, 16777216] or a list [left, right] of "
                           "them: the zero steps before and after each record");
      }
    }
    pad_end_ = ctx.keys.get_bool("pad_end", false);
    const std::vector<LayerConfig>* body = ctx.keys.get_layers("layers");
    if (body == nullptr || body->empty())
      throw WeightsError(ctx.where() +
                         ": needs key 'layers', the layers run on each window, such as "
                         "[{ type = \"conv1d\", prefix = \"stft\", stride = 128 }, { type = \"magnitude\" }]");
    body_ = ctx.branch(*body, ctx.keys.label());
    for (const auto& l : body_.layers) {
      if (l->takes_tokens())
        throw WeightsError(l->where + ": an embedding must be the model's first layer, not in windows");
      if (l->uses_memory())
        throw WeightsError(l->where + ": layers in windows cannot cross-attend to a memory");
    }
    per_window_ = chain_out_length(body_.layers, size_);
    if (std::string why = chain_length_error(body_.layers, size_); !why.empty())
      throw WeightsError(ctx.where() + ": a window of " + std::to_string(size_) + " steps: " + why);
    if (per_window_ <= 0)
      throw WeightsError(ctx.where() + ": a window of " + std::to_string(size_) +
                         " steps is too short for its layers' convolutions and pooling");
    in_dim = body_.in_dim >= 0 ? body_.in_dim : ctx.in_dim;
    out_dim = body_.out_dim >= 0 ? body_.out_dim : in_dim;
    out_channels = 0;
  }

  int64_t windows_of(int64_t len) const {
    if (len <= 0) return 0;
    const int64_t L = len + pad_l_ + pad_r_;
    if (L < size_) return pad_end_ ? 1 : 0;
    return (L - size_ + (pad_end_ ? step_ - 1 : 0)) / step_ + 1;
  }
  int64_t out_length(int64_t len) const override { return windows_of(len) * per_window_; }
  bool keeps_unknown_width() const override { return body_.open; }
  std::string step_unsupported() const override { return where + " (windows) needs a whole sequence"; }

  void forward(Workspace& ws, Act& x, const Act*) const override {
    ws.to_layout(x, Layout::kNTC);
    const int keep = kKeep0 + 2 * depth_;
    // The input waits in this depth's keep slot while the windows run on the activation slots.
    Act in = x;
    in.slot = keep;
    in.data = ws.buf(keep, static_cast<size_t>(x.B * x.T * x.C));
    std::memcpy(in.data, x.data, static_cast<size_t>(x.B * x.T * x.C) * sizeof(float));

    Act out;
    out.layout = Layout::kNTC;
    out.B = x.B;
    for (int64_t l : x.len) out.len.push_back(out_length(l));
    out.T = out_length(x.T);
    for (int64_t l : out.len) out.T = std::max(out.T, l);
    const int64_t C = x.C;
    int64_t out_c = out_dim;
    float* collected = nullptr;

    // Windows in record order, kBlock at a time.
    std::vector<std::pair<int64_t, int64_t>> block;  // (record, window)
    auto run_block = [&]() {
      const int64_t n = static_cast<int64_t>(block.size());
      Act w;
      w.layout = Layout::kNTC;
      w.B = std::min(kBlock, (n + kGrain - 1) / kGrain * kGrain);
      w.T = size_;
      w.C = C;
      w.len.assign(static_cast<size_t>(w.B), size_);
      w.slot = kActA;
      w.data = ws.buf(kActA, static_cast<size_t>(w.B * size_ * C));
      for (int64_t i = 0; i < w.B; ++i) {
        float* dst = w.data + i * size_ * C;
        if (i >= n) {
          std::memset(dst, 0, static_cast<size_t>(size_ * C) * sizeof(float));
          continue;
        }
        const auto [b, j] = block[static_cast<size_t>(i)];
        const int64_t len = in.len[static_cast<size_t>(b)];
        const int64_t start = j * step_ - pad_l_;
        const int64_t lo = std::clamp<int64_t>(-start, 0, size_), hi = std::clamp<int64_t>(len - start, 0, size_);
        if (lo > 0) std::memset(dst, 0, static_cast<size_t>(lo * C) * sizeof(float));
        if (hi > lo) std::memcpy(dst + lo * C, in.row(b, start + lo), static_cast<size_t>((hi - lo) * C) * sizeof(float));
        const int64_t from = std::max(lo, hi);
        if (from < size_) std::memset(dst + from * C, 0, static_cast<size_t>((size_ - from) * C) * sizeof(float));
      }
      forward_chain(body_.layers, 0, ws, w, nullptr);
      ws.to_layout(w, Layout::kNTC);
      if (collected == nullptr) {
        out_c = w.C;
        out.C = out_c;
        collected = ws.buf(keep + 1, static_cast<size_t>(out.B * out.T * out_c));
        std::memset(collected, 0, static_cast<size_t>(out.B * out.T * out_c) * sizeof(float));
      }
      if (w.C != out_c || w.T != per_window_)
        throw std::runtime_error(where + ": a window gave " + std::to_string(w.T) + " steps of " +
                                 std::to_string(w.C) + " features, expected " + std::to_string(per_window_) +
                                 " of " + std::to_string(out_c));
      for (int64_t i = 0; i < n; ++i) {
        const auto [b, j] = block[static_cast<size_t>(i)];
        std::memcpy(collected + (b * out.T + j * per_window_) * out_c, w.data + i * per_window_ * out_c,
                    static_cast<size_t>(per_window_ * out_c) * sizeof(float));
      }
      block.clear();
    };
    for (int64_t b = 0; b < in.B; ++b) {
      const int64_t nw = windows_of(in.len[static_cast<size_t>(b)]);
      for (int64_t j = 0; j < nw; ++j) {
        block.emplace_back(b, j);
        if (static_cast<int64_t>(block.size()) == kBlock) run_block();
      }
    }
    if (!block.empty()) run_block();
    if (collected == nullptr) {  // no record has a window: every output is empty
      out.C = out_c > 0 ? out_c : C;
      out.slot = kActB;
      out.data = ws.buf(kActB, static_cast<size_t>(std::max<int64_t>(1, out.B * out.T * out.C)));
      std::memset(out.data, 0, static_cast<size_t>(out.B * out.T * out.C) * sizeof(float));
      x = std::move(out);
      return;
    }
    // The result lands in an activation slot: a later block at this depth reuses the keep slots.
    out.slot = kActB;
    out.data = ws.buf(kActB, static_cast<size_t>(out.B * out.T * out.C));
    std::memcpy(out.data, collected, static_cast<size_t>(out.B * out.T * out.C) * sizeof(float));
    x = std::move(out);
  }

 private:
  Chain body_;
  int depth_ = 0;
  int64_t size_ = 0, step_ = 0, pad_l_ = 0, pad_r_ = 0, per_window_ = 0;
  bool pad_end_ = false;
};

class Magnitude : public Layer {
 public:
  explicit Magnitude(BuildCtx& ctx) {
    if (ctx.in_dim >= 0) {
      if (ctx.in_dim % 2 != 0)
        throw WeightsError(ctx.where() + ": gets " + std::to_string(ctx.in_dim) +
                           " features per step; needs an even number (real parts, then imaginary parts)");
      in_dim = ctx.in_dim;
      out_dim = ctx.in_dim / 2;
    }
    out_channels = 0;
  }
  bool keeps_unknown_width() const override { return false; }

  void forward(Workspace& ws, Act& x, const Act*) const override {
    if (x.C % 2 != 0)
      throw std::runtime_error(where + ": gets " + std::to_string(x.C) +
                               " features per step; needs an even number (real parts, then imaginary parts)");
    const int64_t h = x.C / 2;
    Act y = ws.next(x, h, x.layout);
    for (int64_t r = 0; r < x.rows(); ++r) {
      const float* re = x.data + r * x.C;
      const float* im = re + h;
      float* o = y.data + r * h;
      for (int64_t c = 0; c < h; ++c) o[c] = std::sqrt(re[c] * re[c] + im[c] * im[c]);
    }
    x = std::move(y);
  }
};

}  // namespace

std::unique_ptr<Layer> make_windows(BuildCtx& ctx) { return std::make_unique<Windows>(ctx); }
std::unique_ptr<Layer> make_magnitude(BuildCtx& ctx) { return std::make_unique<Magnitude>(ctx); }

}  // namespace seqflow::onednn
