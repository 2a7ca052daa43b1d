// LSTM, GRU and Elman RNN layers on oneDNN's RNN primitives, with PyTorch's weights and semantics.
//
// Each (layer, direction) is its own unidirectional primitive so that variable-length batches stay
// exact: the forward direction is causal (padding after a sequence's end cannot reach its outputs),
// and the reverse direction runs left-to-right over each sequence reversed within its own length, so
// that it starts at the sequence's last real step rather than at the batch's padding. A batch with no
// padding runs the reverse direction right-to-left directly.
//
// Weight mapping: PyTorch stores weight_ih_l{k} as [gates * hidden, input] with gates (i, f, g, o) for
// LSTM and (r, z, n) for GRU; oneDNN wants ldigo with gates (i, f, c, o) and (u, r, o). PyTorch's GRU
// is oneDNN's linear-before-reset GRU (n = tanh(W_in x + b_in + r * (W_hn h + b_hn))), whose extra
// bias gate is b_hn; the other biases are b_ih + b_hh.
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <exception>
#include <mutex>
#include <stdexcept>

#include "onednn/layers.hpp"
#include "rnn_matmul.hpp"

namespace seqflow::onednn {
namespace {

using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;
using dims = dnnl::memory::dims;

using Cell = RnnCell;
using Pipe = MatmulDirection::Pipe;

// The most W_hh bytes a layer keeps in one core's L2 (2 MB on the Xeons measured) beside the rest of
// its step's data. Larger ones stream from L3 every step unless split across cores.
constexpr int64_t kL2Share = int64_t{1} << 20;

// Gate values (batch x gates x hidden) per chunk of a layer in a primitive stack run side by side
// (chunked()), at least 8 steps: 16 steps of case b1. Its pipeline fills in one chunk, so short
// chunks start the layer above early, and each call of the primitive costs a few microseconds. On
// b1 at two threads, 16 and 64 steps ran within noise of each other; 256 (the whole run) serializes.
constexpr int64_t kChunkGates = int64_t{1} << 14;

struct DirWeights {
  dnnl::memory wl, wi, wp, bias;    // plain ldigo / ldio f32 (int8: unused); wp only with a projection
  dnnl::memory wl_fast, wi_fast;    // the blocked formats of oneDNN's brgemm kernels (LSTM, RNN; int8)
  std::vector<float> scales;        // int8: per (gate, channel), shared by wl and wi as oneDNN requires
  uint64_t owner = new_owner_id();  // its primitives' cache key
};

struct RnnState : LayerState {
  int64_t B = 0;
  std::vector<std::vector<float>> h, c;  // per layer: [B, O] and [B, H]
};

class Recurrent : public Layer {
 public:
  Recurrent(const std::string& type, BuildCtx& ctx) {
    std::string p = ctx.prefix();
    std::string nonlin = type == "rnn" ? ctx.keys.get_choice("nonlinearity", "tanh", "tanh|relu") : "tanh";
    cell_ = type == "lstm"     ? Cell::kLstm
            : type == "gru"    ? Cell::kGru
            : nonlin == "relu" ? Cell::kRnnRelu
                               : Cell::kRnnTanh;
    G_ = cell_ == Cell::kLstm ? 4 : cell_ == Cell::kGru ? 3 : 1;
    ctx.keys.ignore("dropout");
    ctx.keys.ignore("batch_first");  // records are one sequence each, time first: the layout is the engine's
    std::vector<int64_t> s = ctx.shape_of(p + ".weight_ih_l0");
    // Keys that decide which parameters the module has default to what the file holds.
    int64_t saved_layers = 1;
    while (saved_layers < 64 && ctx.has(p + ".weight_ih_l" + std::to_string(saved_layers))) ++saved_layers;
    L_ = ctx.keys.get_int("num_layers", saved_layers, 1, 64);
    D_ = ctx.keys.get_bool("bidirectional", ctx.has(p + ".weight_ih_l0_reverse")) ? 2 : 1;
    bool bias = ctx.keys.get_bool("bias", ctx.has(p + ".bias_ih_l0"));
    if (s.size() != 2 || s[0] % G_ != 0)
      throw WeightsError(ctx.where() + ": parameter '" + p + ".weight_ih_l0' has shape " + shape_str(s) +
                         ", expected [" + std::to_string(G_) + " * hidden_size, input_size]");
    H_ = ctx.keys.get_int("hidden_size", s[0] / G_, 1);
    I_ = ctx.keys.get_int("input_size", s[1], 1);
    const int64_t saved_proj = ctx.has(p + ".weight_hr_l0") ? ctx.shape_of(p + ".weight_hr_l0")[0] : 0;
    P_ = cell_ == Cell::kLstm ? ctx.keys.get_int("proj_size", saved_proj, 0) : 0;
    if (P_ >= H_ && P_ > 0)
      throw WeightsError(ctx.where() + ": proj_size must be smaller than hidden_size (as in PyTorch)");
    ctx.expect_in_dim(I_, "input_size");
    O_ = P_ > 0 ? P_ : H_;
    const RnnKernel kernel = ctx.options.rnn_kernel;
    const bool want_int8 = ctx.options.precision == Precision::kInt8 && P_ == 0;
    // int8 on oneDNN's RNN primitive exists for LSTM only; the matmul kernel also runs GRU and tanh RNN
    // on int8 (not relu RNN, whose unbounded h has no fixed scale).
    mm_int8_ = want_int8 && cell_ != Cell::kRnnRelu && kernel != RnnKernel::kPrimitive;
    int8_ = want_int8 && cell_ == Cell::kLstm && kernel == RnnKernel::kPrimitive;
    matmul_ = P_ == 0 && kernel != RnnKernel::kPrimitive;
    always_matmul_ = matmul_ && kernel == RnnKernel::kMatmul;
    in_dim = I_;
    out_dim = D_ * O_;
    out_channels = 0;

    for (int64_t l = 0; l < L_; ++l)
      for (int64_t d = 0; d < D_; ++d) {
        std::string sfx = "_l" + std::to_string(l) + (d == 1 ? "_reverse" : "");
        const int64_t in = l == 0 ? I_ : D_ * O_;
        std::vector<float> wih = ctx.get(p + ".weight_ih" + sfx, {G_ * H_, in});
        std::vector<float> whh = ctx.get(p + ".weight_hh" + sfx, {G_ * H_, O_});
        std::vector<float> bih, bhh;
        if (bias) {
          bih = ctx.get(p + ".bias_ih" + sfx, {G_ * H_});
          bhh = ctx.get(p + ".bias_hh" + sfx, {G_ * H_});
        } else {
          bih.assign(static_cast<size_t>(G_ * H_), 0.f);
          bhh = bih;
        }
        std::vector<float> whr;
        if (P_ > 0) whr = ctx.get(p + ".weight_hr" + sfx, {P_, H_});
        dirs_.push_back(prepare(in, wih, whh, bih, bhh, whr));
        if (matmul_) mm_.emplace_back(cell_, in, H_, wih, whh, bih, bhh, mm_int8_);
      }
    if (D_ == 1 && L_ >= 2)
      for (MatmulDirection& m : mm_) m.pipeline_blocks();
  }

  std::string step_unsupported() const override {
    return D_ == 2 ? where + " is bidirectional: its reverse direction needs the whole sequence" : "";
  }

  void forward(Workspace& ws, Act& x, const Act*) const override {
    ws.to_layout(x, Layout::kTNC);
    const bool full = x.all_full();
    const bool chunks = ws.threads() >= 2 && chunked(x.B);
    if (chunks || use_pipeline(ws, x.B)) {
      Act y = ws.next(x, O_, Layout::kTNC);
      if (chunks)
        run_stack(ws, x, y, [&](Workspace& sub, int64_t l, const Act& in, float* out, const Pipe& pipe) {
          run_chunks(sub, l, in, out, pipe);
        });
      else
        run_stack(ws, x, y, [&](Workspace& sub, int64_t l, const Act& in, float* out, const Pipe& pipe) {
          mm_[static_cast<size_t>(l)].run(sub, in, out, O_, pipe);
        });
      x = std::move(y);
      return;
    }
    for (int64_t l = 0; l < L_; ++l) {
      if (l > 0 && !full) x.zero_padding();
      Act y = ws.next(x, D_ * O_, Layout::kTNC);
      if (use_matmul(x.B)) {
        run_matmul(ws, l, x, y);
        x = std::move(y);
        continue;
      }
      if (D_ == 2 && ws.threads() == 2 && one_thread(x.B))
        both_directions(ws, [&](Workspace& sub, int d) { run_direction(sub, l * D_ + d, full, x, y); });
      else
        for (int64_t d = 0; d < D_; ++d) run_direction(ws, l * D_ + d, full, x, y);
      x = std::move(y);
    }
  }

  std::unique_ptr<LayerState> begin(Workspace&, int64_t batch, const Act*) const override {
    auto s = std::make_unique<RnnState>();
    s->B = batch;
    for (int64_t l = 0; l < L_; ++l) {
      s->h.emplace_back(static_cast<size_t>(batch * O_), 0.f);
      s->c.emplace_back(cell_ == Cell::kLstm ? static_cast<size_t>(batch * H_) : 0, 0.f);
    }
    return s;
  }

  void step(Workspace& ws, Act& x, LayerState* state, int64_t) const override {
    auto* s = static_cast<RnnState*>(state);
    ws.to_layout(x, Layout::kTNC);
    for (int64_t l = 0; l < L_; ++l) {
      Act y = ws.next(x, O_, Layout::kTNC);
      float* h_new = ws.buf(kTmp0, static_cast<size_t>(x.B * O_));
      float* c_new = ws.buf(kTmp1, static_cast<size_t>(x.B * H_));
      run_iter(ws, dirs_[static_cast<size_t>(l)], 1, x.B, x.C, x.data, y.data, s->h[l].data(), h_new,
               cell_ == Cell::kLstm ? s->c[l].data() : nullptr, c_new, one_thread(x.B) ? 1 : ws.threads());
      std::memcpy(s->h[l].data(), h_new, static_cast<size_t>(x.B * O_) * sizeof(float));
      if (cell_ == Cell::kLstm)
        std::memcpy(s->c[l].data(), c_new, static_cast<size_t>(x.B * H_) * sizeof(float));
      x = std::move(y);
    }
  }

  void reorder(LayerState* state, std::span<const uint32_t> rows) const override {
    auto* s = static_cast<RnnState*>(state);
    auto permute = [&](std::vector<float>& v, int64_t width) {
      std::vector<float> out(rows.size() * static_cast<size_t>(width));
      for (size_t i = 0; i < rows.size(); ++i)
        std::memcpy(out.data() + i * width, v.data() + rows[i] * width,
                    static_cast<size_t>(width) * sizeof(float));
      v = std::move(out);
    };
    for (int64_t l = 0; l < L_; ++l) {
      permute(s->h[l], O_);
      if (cell_ == Cell::kLstm) permute(s->c[l], H_);
    }
    s->B = static_cast<int64_t>(rows.size());
  }

 private:
  int64_t bias_gates() const { return cell_ == Cell::kGru ? 4 : G_; }
  // Weight formats. oneDNN's brgemm kernels (blocked weights) win on large batches; its gemm-based
  // kernels (plain ldigo) run small batches up to 2x faster (LSTM 256, batch 1: 3.4 vs 5.4 ms per
  // layer here). Debian's oneDNN 2.6 crashes (SIGFPE) running GRU on the packed weights it asks for
  // and computes wrong LSTM-with-projection outputs on blocked weights: those always stay plain (the
  // fixtures catch it). int8 exists only on brgemm.
  bool has_fast() const { return int8_ || (cell_ != Cell::kGru && P_ == 0 && !always_matmul_); }
  bool use_fast(int64_t B) const { return int8_ || (has_fast() && B >= 32); }
  dt wdt() const { return int8_ ? dt::s8 : dt::f32; }
  // The matmul kernel costs three or four oneDNN calls per step where the primitive makes one, so at
  // f32 it wins only once a step's product is large; from batch 32 the primitive has its
  // blocked-weight kernels. Measured (bench/onednn/README.md): case a (batch 16 x 2048 gates) 1.15x
  // faster on the matmul kernel at one thread, 1.46x at two; case b1 (1 x 1024) 0.9-1.0x on one
  // thread; case b64 (64 x 1024) 5-10% slower. It also takes small batches whose W_hh outgrows a
  // core's L2: the primitive does not scale across cores there (bench case x4, GRU 512 at batch 1, two
  // threads: 15-16k frames/s against the primitive's 10-11.5k and ONNX Runtime's 11-15.5k; on one
  // thread, memory-bound, 5-13% behind the primitive). At int8 it is faster than oneDNN's int8 LSTM at every
  // batch measured (b1 1.5-2.4x, b64 1.1-1.7x) and about 7x more accurate, so it takes every batch but those
  // whose steps are small_step()s: there its per-step calls cost more than int8 saves (bench cases x1
  // and x2 ran at 0.74-0.78x of f32), and the f32 primitive runs them, exactly as at f32.
  bool use_matmul(int64_t B) const {
    if (always_matmul_ || !matmul_) return always_matmul_;
    if (mm_int8_) return !small_step(B);
    return B < 32 && (B * G_ * H_ >= 16384 || whh_bytes() > kL2Share);
  }
  int64_t whh_bytes() const { return G_ * H_ * O_ * (mm_int8_ ? 1 : 4); }

  // One direction (index l * D + d) of a layer on oneDNN's RNN primitive.
  void run_direction(Workspace& ws, int64_t ld, bool full, const Act& x, Act& y) const {
    const DirWeights& w = dirs_[static_cast<size_t>(ld)];
    const int64_t d = ld % D_;
    if (d == 0 || full) {
      run(ws, w, x.T, x.B, x.C, x.data, y.data + d * O_, D_ * O_,
          d == 0 ? dnnl::rnn_direction::unidirectional_left2right
                 : dnnl::rnn_direction::unidirectional_right2left);
      return;
    }
    float* rev = ws.buf(kTmp0, static_cast<size_t>(x.T * x.B * x.C));
    float* out = ws.buf(kTmp1, static_cast<size_t>(x.T * x.B * O_));
    for (int64_t b = 0; b < x.B; ++b)
      for (int64_t t = 0; t < x.T; ++t) {
        float* dst = rev + (t * x.B + b) * x.C;
        if (t < x.len[b])
          std::memcpy(dst, x.row(b, x.len[b] - 1 - t), static_cast<size_t>(x.C) * sizeof(float));
        else std::memset(dst, 0, static_cast<size_t>(x.C) * sizeof(float));
      }
    run(ws, w, x.T, x.B, x.C, rev, out, O_, dnnl::rnn_direction::unidirectional_left2right);
    for (int64_t b = 0; b < x.B; ++b)
      for (int64_t t = 0; t < x.len[b]; ++t)
        std::memcpy(y.row(b, t) + O_, out + ((x.len[b] - 1 - t) * x.B + b) * O_,
                    static_cast<size_t>(O_) * sizeof(float));
  }

  // The primitive runs a step whose product is this small on one thread: it splits every step's
  // gemm and cell across its threads, and for a step of a few microseconds the fork and join cost
  // more than the split saves. Two threads, onednn_bench, alternating runs: LSTM 64, batch 4 and
  // GRU 128, batch 1 (65k and 49k multiply-adds a step) ran at 0.6-0.9x of one thread; LSTM 128 at
  // batch 16 (1M) at 1.3-1.6x, LSTM 256 at batch 1 (1 MB of W_hh, which a second core's cache helps)
  // at 1.1-1.3x. A bidirectional layer then runs a direction per thread.
  bool small_step(int64_t B) const {
    return B * O_ * G_ * H_ < (int64_t{1} << 18) && O_ * G_ * H_ * 4 <= (int64_t{512} << 10);
  }
  // Where the primitive runs on one thread: small steps, and batch 1 but for LSTM without projection:
  // oneDNN 2.6 rounds GRU, Elman RNN and projected LSTM at batch 1 differently on two threads for some
  // widths (GRU 256, 300 and 320, RNN 400, 520 and 700, LSTM 520 with projection 173), and the bytes
  // must not depend on the thread count (rnn_kernel_test). LSTM at widths 182-800, and every cell at
  // batches 2 to 16, gave the same bytes.
  bool one_thread(int64_t B) const { return small_step(B) || (B == 1 && (cell_ != Cell::kLstm || P_ > 0)); }

  // A unidirectional stack on two threads runs its layers side by side (run_stack()) on the matmul
  // kernel where int8 or rnn_kernel = "matmul" put it there; chunked() does the same on the RNN
  // primitive. Measured on case b (LSTM 256, 2 layers), two threads,
  // alternating runs: batch 1 int8 1.15-1.5x faster than one thread's step products, batch 64 int8
  // 1.1-1.8x; batch 1 f32 1.1-1.4x faster than the RNN primitive, batch 64 f32 no clear gain. Only
  // for batches that int8 or rnn_kernel = "matmul" put on the matmul kernel: the f32 batches `auto`
  // puts there gained nothing clear (LSTM 256 at batch 16: 1.05-1.08x; GRU 256 at batch 24:
  // 0.94-0.99x), and `auto` must not pick a kernel by thread count (the bytes would follow). And only
  // where a layer's W_hh fits one core's L2: GRU 512 at batch 1 ran at 7k frames/s pipelined, 16k with
  // each step split across both cores.
  bool use_pipeline(const Workspace& ws, int64_t B) const {
    return D_ == 1 && L_ >= 2 && ws.threads() == 2 && (mm_int8_ || always_matmul_) && use_matmul(B) &&
           whh_bytes() <= kL2Share;
  }

  // Runs the stack's layers side by side on two threads, thread i layers i, i + 2, ..., each a block
  // of steps behind the layer below, instead of splitting every small step across both threads.
  // run_layer(workspace, l, input, output, pipe) runs layer l, waiting on and publishing its steps
  // through the pipe.
  template <class F>
  void run_stack(Workspace& ws, const Act& x, Act& y, F run_layer) const {
    std::vector<std::atomic<int64_t>> done(static_cast<size_t>(L_));
    for (auto& d : done) d.store(0);
    std::atomic<bool> failed{false};
    std::exception_ptr error;
    std::mutex error_mutex;
    // Layer l's output: y for the last layer, else a buffer of the workspace of the thread running it
    // (its layers run one after another, and the layer reading it has read each block before the
    // layer four above may overwrite it).
    Workspace* sub[2] = {&ws.sub(0), &ws.sub(1)};  // made here: sub() is not thread-safe
    std::vector<Act> out(static_cast<size_t>(L_), x);
    for (int64_t l = 0; l < L_; ++l) {
      Act& o = out[static_cast<size_t>(l)];
      o.C = O_;
      o.data = l == L_ - 1
                   ? y.data
                   : sub[l % 2]->buf((l / 2) % 2 == 0 ? kActA : kActB, static_cast<size_t>(x.T * x.B * O_));
    }
#pragma omp parallel num_threads(2)
    {
      // Layers in order on each thread: a team of one runs them all in order, waiting for nothing.
      const int n = omp_get_num_threads(), me = omp_get_thread_num();
      for (int64_t l = me; l < L_; l += n) {
        const Pipe pipe{l == 0 ? nullptr : &done[static_cast<size_t>(l - 1)], &done[static_cast<size_t>(l)],
                        &failed};
        try {
          run_layer(*sub[l % 2], l, l == 0 ? x : out[static_cast<size_t>(l - 1)],
                    out[static_cast<size_t>(l)].data, pipe);
        } catch (const PipeFailed&) {
          break;
        } catch (...) {
          failed.store(true);
          std::lock_guard<std::mutex> lock(error_mutex);
          if (!error) error = std::current_exception();
          break;
        }
      }
    }
    ws.bind();
    if (error) std::rethrow_exception(error);
  }

  // A unidirectional f32 stack below batch 32 on the RNN primitive runs pipelined on two or more
  // threads: each layer on one thread, kChunkGates of its steps per call of the primitive, which
  // carries h (and c) from chunk to chunk. Two threads, alternating runs against splitting each step
  // across both: case b1 (LSTM 256 x 2, batch 1) 1.07-1.15x in six rounds, x3 (LSTM 128 x 4, batch
  // 16) 1.3x, x1 (LSTM 64 x 2, batch 4) and x2 (GRU 128 x 3, batch 1) 1.4x. oneDNN computes a layer in
  // chunks to the byte as in one call, so the bytes stay one thread's (rnn_kernel_test). From batch
  // 32 its brgemm kernels split a step well (b64: no gain in twelve rounds); a W_hh over kL2Share runs
  // on the matmul kernel. More than two threads still run the stack on two: a chunk on more threads
  // would round differently.
  bool chunked(int64_t B) const {
    return D_ == 1 && L_ >= 2 && !int8_ && B < 32 && !use_matmul(B) && whh_bytes() <= kL2Share;
  }
  int64_t chunk_steps(int64_t B) const { return std::max<int64_t>(8, kChunkGates / (B * G_ * H_)); }

  // Layer l of a chunked() stack, from zero states.
  void run_chunks(Workspace& ws, int64_t l, const Act& x, float* y, const Pipe& pipe) const {
    const int64_t B = x.B, K = chunk_steps(B);
    const size_t hn = static_cast<size_t>(B * O_),
                 cn = cell_ == Cell::kLstm ? static_cast<size_t>(B * H_) : 0;
    float* h = ws.buf(kTmp0, 2 * hn);
    float* c = ws.buf(kTmp1, 2 * cn + 1);
    std::memset(h, 0, hn * sizeof(float));
    std::memset(c, 0, cn * sizeof(float));
    for (int64_t t0 = 0, cur = 0; t0 < x.T; t0 += K, cur ^= 1) {
      const int64_t n = std::min(K, x.T - t0);
      pipe.wait(t0 + n);
      run_iter(ws, dirs_[static_cast<size_t>(l)], n, B, x.C, x.data + t0 * B * x.C, y + t0 * B * O_,
               h + cur * hn, h + (1 - cur) * hn, cn > 0 ? c + cur * cn : nullptr, c + (1 - cur) * cn, 1);
      pipe.done->store(t0 + n, std::memory_order_release);
    }
  }

  // Layer l on the matmul kernel. With two threads a bidirectional layer runs one direction on each:
  // a step's product at these batch sizes is a few to a few hundred microseconds, and splitting every
  // step's oneDNN calls across the threads costs a fork and join each (two threads, onednn_bench:
  // case a 1.4x faster at int8, case c 2.1x). Not where W_hh outgrows a core's L2: LSTM 512 at batch 1
  // ran at 0.6-0.75x of split steps, and cases a and c at f32 (4 and 3 MB) were even within noise in
  // five alternating pairs. More threads stay on the steps: oneDNN runs single-threaded inside an
  // OpenMP parallel region.
  void run_matmul(Workspace& ws, int64_t l, const Act& x, Act& y) const {
    const MatmulDirection* dir = mm_.data() + l * D_;
    if (D_ == 1 || ws.threads() != 2 || whh_bytes() > kL2Share) {
      for (int64_t d = 0; d < D_; ++d) dir[d].run(ws, x, y.data + d * O_, D_ * O_, d == 1);
      return;
    }
    both_directions(ws, [&](Workspace& sub, int d) { dir[d].run(sub, x, y.data + d * O_, 2 * O_, d == 1); });
  }

  // f(sub-workspace d, d) for d = 0 and 1 on two threads, one each.
  template <class F>
  static void both_directions(Workspace& ws, F f) {
    Workspace* sub[2] = {&ws.sub(0), &ws.sub(1)};
    std::exception_ptr error[2];
    // A loop rather than one direction per thread number: both run even if OpenMP grants one thread.
#pragma omp parallel for num_threads(2) schedule(static, 1)
    for (int d = 0; d < 2; ++d) {
      try {
        f(*sub[d], d);
      } catch (...) {
        error[d] = std::current_exception();  // an exception must not leave an OpenMP region
      }
    }
    ws.bind();
    for (const std::exception_ptr& e : error)
      if (e) std::rethrow_exception(e);
  }

  // int8: inputs (and, inside oneDNN, the hidden state, which |h| <= 1 bounds) become u8 = x * scale +
  // 128. The scale is the largest power of two with scale * max|x| <= 127, so that a handful of
  // primitives serve every batch (oneDNN bakes the scale into the primitive).
  static float data_scale(const float* x, size_t n) {
    float m = 1.f;
#pragma omp simd reduction(max : m)
    for (size_t i = 0; i < n; ++i) m = std::max(m, std::fabs(x[i]));
    return std::exp2(std::floor(std::log2(127.f / m)));
  }
  static void quantize(const float* x, size_t n, float scale, uint8_t* q) {
    for (size_t i = 0; i < n; ++i) {
      const float v = std::nearbyint(x[i] * scale) + 128.f;
      q[i] = static_cast<uint8_t>(v < 0.f ? 0.f : v > 255.f ? 255.f : v);
    }
  }

  // A primitive descriptor for one direction; `src_iter` adds initial and final states (step mode).
  dnnl::primitive_desc make_pd(int64_t T, int64_t B, int64_t in, int64_t ld_dst, dnnl::rnn_direction dir,
                               bool with_iter, const dnnl::memory::desc& wl, const dnnl::memory::desc& wi,
                               const dnnl::memory::desc& wp, float scale,
                               const std::vector<float>* wscales) const {
    dnnl::memory::desc src({T, B, in}, int8_ ? dt::u8 : dt::f32, tag::tnc);
    dnnl::memory::desc dst({T, B, O_}, dt::f32, dims{B * ld_dst, ld_dst, 1});
    dnnl::memory::desc bias({1, 1, bias_gates(), H_}, dt::f32, tag::ldgo);
    dnnl::memory::desc h =
        with_iter ? dnnl::memory::desc({1, 1, B, O_}, dt::f32, tag::ldnc) : dnnl::memory::desc();
    dnnl::memory::desc c =
        with_iter ? dnnl::memory::desc({1, 1, B, H_}, dt::f32, tag::ldnc) : dnnl::memory::desc();
    dnnl::primitive_attr attr = base_attr();
    if (int8_) qparams(attr, scale, *wscales);
    const auto inf = dnnl::prop_kind::forward_inference;
    switch (cell_) {
      case Cell::kLstm: {
        dnnl::lstm_forward::desc d =
            P_ > 0 ? dnnl::lstm_forward::desc(inf, dir, src, h, c, wl, wi, {}, wp, bias, dst, h, c)
                   : dnnl::lstm_forward::desc(inf, dir, src, h, c, wl, wi, bias, dst, h, c);
        return dnnl::lstm_forward::primitive_desc(d, attr, cpu_engine());
      }
      case Cell::kGru: {
        dnnl::lbr_gru_forward::desc d(inf, dir, src, h, wl, wi, bias, dst, h);
        return dnnl::lbr_gru_forward::primitive_desc(d, attr, cpu_engine());
      }
      default: {
        auto alg = cell_ == Cell::kRnnRelu ? dnnl::algorithm::eltwise_relu : dnnl::algorithm::eltwise_tanh;
        dnnl::vanilla_rnn_forward::desc d(inf, alg, dir, src, h, wl, wi, bias, dst, h);
        return dnnl::vanilla_rnn_forward::primitive_desc(d, attr, cpu_engine());
      }
    }
  }

  static void qparams(dnnl::primitive_attr& attr, float scale, const std::vector<float>& wscales) {
    attr.set_rnn_data_qparams(scale, 128.f);
    attr.set_rnn_weights_qparams((1 << 3) + (1 << 4), wscales);  // per gate and output channel of ldigo
  }

  DirWeights prepare(int64_t in, const std::vector<float>& wih, const std::vector<float>& whh,
                     const std::vector<float>& bih, const std::vector<float>& bhh,
                     const std::vector<float>& whr) {
    // PyTorch gate index of oneDNN gate g.
    auto pt_gate = [&](int64_t g) -> int64_t {
      if (cell_ == Cell::kGru) return g == 0 ? 1 : g == 1 ? 0 : 2;
      return g;
    };
    auto to_ldigo = [&](const std::vector<float>& w, int64_t n_in) {
      std::vector<float> out(static_cast<size_t>(n_in * G_ * H_));
      for (int64_t i = 0; i < n_in; ++i)
        for (int64_t g = 0; g < G_; ++g)
          for (int64_t o = 0; o < H_; ++o) out[(i * G_ + g) * H_ + o] = w[(pt_gate(g) * H_ + o) * n_in + i];
      return out;
    };
    std::vector<float> wl = to_ldigo(wih, in), wi = to_ldigo(whh, O_);
    std::vector<float> b(static_cast<size_t>(bias_gates() * H_));
    for (int64_t g = 0; g < G_; ++g)
      for (int64_t o = 0; o < H_; ++o) {
        const size_t src = static_cast<size_t>(pt_gate(g) * H_ + o);
        // GRU's candidate gate keeps b_hn apart (linear before reset).
        b[g * H_ + o] = cell_ == Cell::kGru && g == 2 ? bih[src] : bih[src] + bhh[src];
      }
    if (cell_ == Cell::kGru)
      for (int64_t o = 0; o < H_; ++o) b[3 * H_ + o] = bhh[static_cast<size_t>(2 * H_ + o)];
    std::vector<float> wp;
    if (P_ > 0) {
      wp.resize(static_cast<size_t>(H_ * P_));
      for (int64_t h = 0; h < H_; ++h)
        for (int64_t q = 0; q < P_; ++q) wp[h * P_ + q] = whr[q * H_ + h];
    }

    DirWeights w;
    if (int8_) {
      w.scales.assign(static_cast<size_t>(G_ * H_), 0.f);
      for (const std::vector<float>* m : {&wl, &wi})
        for (size_t i = 0; i < m->size(); ++i)
          w.scales[i % w.scales.size()] = std::max(w.scales[i % w.scales.size()], std::fabs((*m)[i]));
      for (float& v : w.scales) v = v > 0 ? 127.f / v : 1.f;
    }
    if (!int8_) {
      w.wl = load({{1, 1, in, G_, H_}, dt::f32, tag::ldigo}, wl, {1, 1, in, G_, H_}, w.scales);
      w.wi = load({{1, 1, O_, G_, H_}, dt::f32, tag::ldigo}, wi, {1, 1, O_, G_, H_}, w.scales);
      if (P_ > 0) w.wp = load({{1, 1, H_, P_}, dt::f32, tag::ldio}, wp, {1, 1, H_, P_}, w.scales, tag::ldio);
    }
    if (has_fast()) {
      // The blocked formats the primitive picks for a large batch; other shapes reorder on demand.
      dnnl::memory::desc wl_any({1, 1, in, G_, H_}, wdt(), tag::any),
          wi_any({1, 1, O_, G_, H_}, wdt(), tag::any);
      auto pd = make_pd(16, 64, in, O_, dnnl::rnn_direction::unidirectional_left2right, false, wl_any, wi_any,
                        {}, 1.f, &w.scales);
      w.wl_fast = load(pd.query_md(dnnl::query::exec_arg_md, DNNL_ARG_WEIGHTS_LAYER), wl, {1, 1, in, G_, H_},
                       w.scales);
      w.wi_fast = load(pd.query_md(dnnl::query::exec_arg_md, DNNL_ARG_WEIGHTS_ITER), wi, {1, 1, O_, G_, H_},
                       w.scales);
    }
    w.bias = dnnl::memory({{1, 1, bias_gates(), H_}, dt::f32, tag::ldgo}, cpu_engine());
    std::memcpy(w.bias.get_data_handle(), b.data(), b.size() * sizeof(float));
    return w;
  }

  // Reorders plain f32 weights into `want`; int8 quantizes them with the RNN's own qparams.
  dnnl::memory load(const dnnl::memory::desc& want, const std::vector<float>& v, const dims& d,
                    const std::vector<float>& wscales, tag plain = tag::ldigo) const {
    dnnl::stream st(cpu_engine());
    dnnl::memory m(want, cpu_engine());
    dnnl::memory src({d, dt::f32, plain}, cpu_engine(), const_cast<float*>(v.data()));
    dnnl::primitive_attr attr;
    if (int8_) qparams(attr, 1.f, wscales);
    dnnl::reorder(dnnl::reorder::primitive_desc(src, m, attr)).execute(st, src, m);
    st.wait();
    return m;
  }

  void run(Workspace& ws, const DirWeights& w, int64_t T, int64_t B, int64_t in, const float* src, float* dst,
           int64_t ld_dst, dnnl::rnn_direction dir) const {
    const size_t n = static_cast<size_t>(T * B * in);
    const float scale = int8_ ? data_scale(src, n) : 1.f;
    const int threads = one_thread(B) ? 1 : ws.threads();
    std::string key =
        prim_key("rnn", w.owner,
                 {T, B, ld_dst, static_cast<int64_t>(dir), static_cast<int64_t>(std::log2(scale)), threads});
    omp_set_num_threads(threads);
    Workspace::Prim* p = ws.find(key);
    if (p == nullptr) p = &build(ws, key, T, B, in, ld_dst, dir, false, scale, w);
    std::unordered_map<int, dnnl::memory> args = weight_args(ws, *p, w);
    args[DNNL_ARG_SRC_LAYER] = source(ws, src, n, scale, {T, B, in});
    args[DNNL_ARG_DST_LAYER] = mem({{T, B, O_}, dt::f32, dims{B * ld_dst, ld_dst, 1}}, dst);
    args[DNNL_ARG_SCRATCHPAD] = ws.scratchpad(p->scratch);
    p->prim.execute(ws.stream(), args);
    ws.bind();
  }

  // T steps left to right from the states h (and c), writing the last step's to h_new (c_new), on
  // `threads` threads: a step session's step, or a chunk of a chunked() layer.
  void run_iter(Workspace& ws, const DirWeights& w, int64_t T, int64_t B, int64_t in, const float* src,
                float* dst, const float* h, float* h_new, const float* c, float* c_new, int threads) const {
    const size_t n = static_cast<size_t>(T * B * in);
    const float scale = int8_ ? data_scale(src, n) : 1.f;
    std::string key = prim_key("rnniter", w.owner, {T, B, static_cast<int64_t>(std::log2(scale)), threads});
    omp_set_num_threads(threads);
    Workspace::Prim* p = ws.find(key);
    if (p == nullptr)
      p = &build(ws, key, T, B, in, O_, dnnl::rnn_direction::unidirectional_left2right, true, scale, w);
    std::unordered_map<int, dnnl::memory> args = weight_args(ws, *p, w);
    dnnl::memory::desc hd({1, 1, B, O_}, dt::f32, tag::ldnc), cd({1, 1, B, H_}, dt::f32, tag::ldnc);
    args[DNNL_ARG_SRC_LAYER] = source(ws, src, n, scale, {T, B, in});
    args[DNNL_ARG_DST_LAYER] = mem({{T, B, O_}, dt::f32, tag::tnc}, dst);
    args[DNNL_ARG_SRC_ITER] = mem(hd, h);
    args[DNNL_ARG_DST_ITER] = mem(hd, h_new);
    if (c != nullptr) {
      args[DNNL_ARG_SRC_ITER_C] = mem(cd, c);
      args[DNNL_ARG_DST_ITER_C] = mem(cd, c_new);
    }
    args[DNNL_ARG_SCRATCHPAD] = ws.scratchpad(p->scratch);
    p->prim.execute(ws.stream(), args);
    ws.bind();
  }

  // The input as the primitive reads it: the f32 data itself, or its u8 quantization (in kTmp2).
  dnnl::memory source(Workspace& ws, const float* src, size_t n, float scale, const dims& d) const {
    if (!int8_) return mem({d, dt::f32, tag::tnc}, src);
    auto* q = reinterpret_cast<uint8_t*>(ws.buf(kTmp2, n / 4 + 1));
    quantize(src, n, scale, q);
    return mem({d, dt::u8, tag::tnc}, q);
  }

  Workspace::Prim& build(Workspace& ws, const std::string& key, int64_t T, int64_t B, int64_t in,
                         int64_t ld_dst, dnnl::rnn_direction dir, bool with_iter, float scale,
                         const DirWeights& w) const {
    const tag t = use_fast(B) ? tag::any : tag::ldigo;
    dnnl::memory::desc wl({1, 1, in, G_, H_}, wdt(), t);
    dnnl::memory::desc wi({1, 1, O_, G_, H_}, wdt(), t);
    dnnl::memory::desc wp =
        P_ > 0 ? dnnl::memory::desc({1, 1, H_, P_}, dt::f32, tag::ldio) : dnnl::memory::desc();
    auto pd = make_pd(T, B, in, ld_dst, dir, with_iter, wl, wi, wp, scale, &w.scales);
    Workspace::Prim np;
    np.prim = dnnl::primitive(pd.get());
    np.weights = pd.query_md(dnnl::query::exec_arg_md, DNNL_ARG_WEIGHTS_LAYER);
    np.weights2 = pd.query_md(dnnl::query::exec_arg_md, DNNL_ARG_WEIGHTS_ITER);
    if (P_ > 0) np.weights3 = pd.query_md(dnnl::query::exec_arg_md, DNNL_ARG_WEIGHTS_PROJECTION);
    np.scratch = pd.scratchpad_desc().get_size();
    return ws.put(key, std::move(np));
  }

  std::unordered_map<int, dnnl::memory> weight_args(Workspace& ws, const Workspace::Prim& p,
                                                    const DirWeights& w) const {
    const bool fast = has_fast() && p.weights == w.wl_fast.get_desc() && p.weights2 == w.wi_fast.get_desc();
    // int8 weights carry oneDNN's u8s8 compensation, which a plain reorder would not recompute.
    if (int8_ && !fast)
      throw std::runtime_error(
          where +
          ": oneDNN wants another int8 weight format for this batch shape; use precision = "
          "\"f32\" for this model");
    std::unordered_map<int, dnnl::memory> args{
        {DNNL_ARG_WEIGHTS_LAYER, fast ? w.wl_fast : ws.weights_as(w.wl, p.weights)},
        {DNNL_ARG_WEIGHTS_ITER, fast ? w.wi_fast : ws.weights_as(w.wi, p.weights2)},
        {DNNL_ARG_BIAS, w.bias}};
    if (P_ > 0) args[DNNL_ARG_WEIGHTS_PROJECTION] = ws.weights_as(w.wp, p.weights3);
    return args;
  }

  Cell cell_ = Cell::kLstm;
  int64_t G_ = 4, L_ = 1, D_ = 1, H_ = 0, I_ = 0, P_ = 0, O_ = 0;
  bool int8_ = false;           // LSTM without projection at Precision::kInt8 on RnnKernel::kPrimitive
  bool matmul_ = false;         // f32 without projection: forward() may run on mm_ (step mode does not)
  bool always_matmul_ = false;  // RnnKernel::kMatmul
  bool mm_int8_ = false;        // the matmul kernel runs on int8
  std::vector<DirWeights> dirs_;
  std::vector<MatmulDirection> mm_;
};

}  // namespace

std::unique_ptr<Layer> make_rnn(const std::string& type, BuildCtx& ctx) {
  return std::make_unique<Recurrent>(type, ctx);
}

}  // namespace seqflow::onednn
