// Windowed models and complex magnitudes: what a streaming speech model such as Silero VAD writes in
// the wrapper around its network rather than in the network itself.
//
// `windows` cuts each record into windows of `size` steps every `step` steps (PyTorch's
// x.unfold(1, size, step) after F.pad(x, padding)), runs its `layers` on every window as a record of
// its own (a batch of windows, as the wrapper's model call sees one window), and lays the windows'
// outputs end to end in time. With `pad_end`, zeros complete the last window, as a wrapper pads the
// last chunk of a recording. Windows run in blocks of at most kBlock (and 16 MB), so the activations stay
// the size of a block whatever the record's length; the block's window count is rounded up to a
// multiple of kGrain with silent zero windows, so that a few oneDNN primitive shapes serve every
// record (each new shape costs 0.05-0.2 ms to make). Blocks run on one-thread sub-workspaces (two at
// a time when the workspace has two or more threads), reading the input in place.
//
// `magnitude` is |z| for a step whose first half of features is the real part and the second half the
// imaginary part of complex values: sqrt(re^2 + im^2), as Silero's STFT module computes it from its
// strided Conv1d (torch.abs of a complex tensor given as its two halves).
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "onednn/layers.hpp"

namespace seqflow::onednn {

namespace {

constexpr int64_t kBlock = 512;                     // windows per run of the inner layers, at most
constexpr int64_t kBlockFloats = int64_t{1} << 22;  // and at most 16 MB of windows per block
constexpr int64_t kGrain = 32;

class Windows : public Layer {
 public:
  explicit Windows(BuildCtx& ctx) {
    if (ctx.depth >= kMaxResidualDepth)
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
      throw WeightsError(
          ctx.where() +
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
    std::vector<std::pair<int64_t, int64_t>> windows;  // (record, window), in record order
    for (int64_t b = 0; b < x.B; ++b)
      for (int64_t j = 0, n = windows_of(x.len[static_cast<size_t>(b)]); j < n; ++j)
        windows.emplace_back(b, j);
    Act out;
    out.layout = Layout::kNTC;
    out.B = x.B;
    out.T = out_length(x.T);
    for (int64_t l : x.len) {
      out.len.push_back(out_length(l));
      out.T = std::max(out.T, out.len.back());
    }
    // The output goes to the activation slot x does not use; the windows run on one-thread
    // sub-workspaces, whose slots are their own, so x is read in place, never copied.
    out.slot = x.slot == kActA ? kActB : kActA;
    out.C = body_.open && body_.out_dim < 0 ? x.C : out_dim;  // <= 0: known from the first block
    // Windows per block: fixed by the layer and the width alone, so the bytes never depend on threads.
    const size_t per_block =
        static_cast<size_t>(std::clamp<int64_t>(kBlockFloats / (size_ * x.C), 1, kBlock));
    const size_t blocks = (windows.size() + per_block - 1) / per_block;
    Workspace* sub[2] = {&ws.sub(0), &ws.sub(1)};  // made here: sub() is not thread-safe
    // Block k's windows through the layers, in `sw`; the result's rows go to `out`.
    auto window_batch = [&](Workspace& sw, size_t k, int64_t& n) {
      const size_t first = k * per_block;
      n = static_cast<int64_t>(std::min(windows.size() - first, per_block));
      Act w = cut(sw, x, windows, first, n, static_cast<int64_t>(per_block));
      forward_chain(body_.layers, 0, sw, w, nullptr);
      sw.to_layout(w, Layout::kNTC);
      return w;
    };
    auto store = [&](const Act& w, size_t k, int64_t n) {
      if (w.C != out.C || w.T != per_window_)
        throw std::runtime_error(where + ": a window gave " + std::to_string(w.T) + " steps of " +
                                 std::to_string(w.C) + " features, expected " + std::to_string(per_window_) +
                                 " of " + std::to_string(out.C));
      for (int64_t i = 0; i < n; ++i) {
        const auto [b, j] = windows[k * per_block + static_cast<size_t>(i)];
        std::memcpy(out.row(b, j * per_window_), w.data + i * per_window_ * out.C,
                    static_cast<size_t>(per_window_ * out.C) * sizeof(float));
      }
    };
    size_t from = 0;
    Act first;
    int64_t first_n = 0;
    if (out.C <= 0 && blocks > 0) {
      first = window_batch(*sub[0], 0, first_n);
      out.C = first.C;
      from = 1;
    }
    if (out.C <= 0) out.C = x.C;
    out.data = ws.buf(out.slot, static_cast<size_t>(std::max<int64_t>(1, out.B * out.T * out.C)));
    if (blocks == 0) {
      std::memset(out.data, 0, static_cast<size_t>(out.B * out.T * out.C) * sizeof(float));
      x = std::move(out);
      return;
    }
    if (from == 1) store(first, 0, first_n);
    auto run_block = [&](Workspace& sw, size_t k) {
      int64_t n = 0;
      Act w = window_batch(sw, k, n);
      store(w, k, n);
    };
    // Each block gives the same bytes on either thread: the blocks are fixed by the windows alone, and
    // each runs on a one-thread workspace.
    if (ws.threads() < 2 || blocks - from < 2) {
      for (size_t k = from; k < blocks; ++k) run_block(*sub[0], k);
    } else {
      std::exception_ptr error;
      std::mutex error_mutex;
#pragma omp parallel num_threads(2)
      {
        const int n = omp_get_num_threads(), me = omp_get_thread_num();
        for (size_t k = from + static_cast<size_t>(me); k < blocks; k += static_cast<size_t>(n)) {
          try {
            run_block(*sub[me], k);
          } catch (...) {
            std::lock_guard<std::mutex> lock(error_mutex);
            if (!error) error = std::current_exception();
            break;
          }
        }
      }
      ws.bind();
      if (error) std::rethrow_exception(error);
    }
    x = std::move(out);
  }

 private:
  // Windows [first, first + n) of `windows` as a batch of records of size_ steps in `sw`'s slot kActA,
  // rounded up to a multiple of kGrain (at most `block`) with zero windows.
  Act cut(Workspace& sw, const Act& x, const std::vector<std::pair<int64_t, int64_t>>& windows, size_t first,
          int64_t n, int64_t block) const {
    const int64_t C = x.C;
    Act w;
    w.layout = Layout::kNTC;
    w.B = std::min(block, (n + kGrain - 1) / kGrain * kGrain);
    w.T = size_;
    w.C = C;
    w.len.assign(static_cast<size_t>(w.B), size_);
    w.slot = kActA;
    w.data = sw.buf(kActA, static_cast<size_t>(w.B * size_ * C));
    for (int64_t i = 0; i < w.B; ++i) {
      float* dst = w.data + i * size_ * C;
      if (i >= n) {
        std::memset(dst, 0, static_cast<size_t>(size_ * C) * sizeof(float));
        continue;
      }
      const auto [b, j] = windows[first + static_cast<size_t>(i)];
      const int64_t len = x.len[static_cast<size_t>(b)];
      const int64_t start = j * step_ - pad_l_;
      const int64_t lo = std::clamp<int64_t>(-start, 0, size_),
                    hi = std::clamp<int64_t>(len - start, 0, size_);
      if (lo > 0) std::memset(dst, 0, static_cast<size_t>(lo * C) * sizeof(float));
      if (hi > lo)
        std::memcpy(dst + lo * C, x.row(b, start + lo), static_cast<size_t>((hi - lo) * C) * sizeof(float));
      const int64_t from = std::max(lo, hi);
      if (from < size_)
        std::memset(dst + from * C, 0, static_cast<size_t>((size_ - from) * C) * sizeof(float));
    }
    return w;
  }

  Chain body_;
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
