#include "rnn_matmul.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace seqflow::onednn {
namespace {

using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;
using dims = dnnl::memory::dims;

// Input-projection block: about this many gate values (floats) at once, so that the block stays a few
// MB however long the sequences are, while its inner product still has hundreds of rows.
constexpr int64_t kBlockFloats = int64_t{1} << 20;
// Layers that may be pipelined: blocks small enough that the next layer starts soon (16 steps of
// case b1).
constexpr int64_t kPipeBlockFloats = int64_t{1} << 14;

// Element-wise loops are split across the workspace's OpenMP threads only when this large: a fork
// costs more than a few thousand multiply-adds.
constexpr int64_t kParallelElements = 65536;

// int8: h (|h| < 1 in LSTM, GRU and tanh RNN cells) becomes round(127 h).
constexpr float kHScale = 127.f;

// Round to nearest even for |v| < 2^22, in two adds the compiler vectorises (std::nearbyint is a libm
// call per element).
inline float round_even(float v) { return (v + 0x1.8p23f) - 0x1.8p23f; }

}  // namespace

MatmulDirection::MatmulDirection(RnnCell cell, int64_t in, int64_t H, const std::vector<float>& wih,
                                 const std::vector<float>& whh, const std::vector<float>& bih,
                                 const std::vector<float>& bhh, bool int8)
    : cell_(cell),
      G_(cell == RnnCell::kLstm  ? 4
         : cell == RnnCell::kGru ? 3
                                 : 1),
      H_(H),
      int8_(int8) {
  const int64_t N = G_ * H;
  std::vector<float> w_in = wih, w_h = whh, b(static_cast<size_t>(N));
  for (int64_t j = 0; j < N; ++j) b[j] = bih[j] + bhh[j];
  if (cell == RnnCell::kLstm) {
    // tanh(x) = 2 sigmoid(2x) - 1: with the g gate's weights and bias doubled, one sigmoid post-op
    // serves all four gates and the cell loop maps g back.
    for (int64_t j = 2 * H; j < 3 * H; ++j) {
      b[j] *= 2.f;
      for (int64_t k = 0; k < in; ++k) w_in[j * in + k] *= 2.f;
      for (int64_t k = 0; k < H; ++k) w_h[j * H + k] *= 2.f;
    }
  }
  if (cell == RnnCell::kGru) {
    // n = tanh(W_in x + b_in + r * (W_hn h + b_hn)): b_hn is added inside the term that r scales.
    for (int64_t j = 2 * H; j < 3 * H; ++j) b[j] = bih[j];
    b_hn_.assign(bhh.begin() + 2 * H, bhh.begin() + 3 * H);
  }
  in_ = Dense(std::move(w_in), std::move(b), N, in, int8 ? Precision::kInt8 : Precision::kF32);

  // W_hh is [N, H] row-major, which is the [H, N] matrix of the product in format ba, packed once in
  // the layout a matmul at batch 16 asks for (other batches reorder on first use). int8: symmetric
  // per-output-channel scales; h, bounded by 1 in these cells, is quantized with the fixed scale 127,
  // so the output scales are known at creation, which keeps oneDNN on its AMX/VNNI kernels.
  dnnl::memory plain;
  if (int8) {
    // Kept: packed int8 weights carry oneDNN's compensation and cannot be reordered to the layout
    // another batch size asks for; the plain ones can.
    wh_plain_ = dnnl::memory({{H, N}, dt::s8, tag::ba}, cpu_engine());
    auto* q = static_cast<int8_t*>(wh_plain_.get_data_handle());
    out_scales_.resize(static_cast<size_t>(N));
    for (int64_t n = 0; n < N; ++n) {
      float m = 0;
      for (int64_t k = 0; k < H; ++k) m = std::max(m, std::fabs(w_h[n * H + k]));
      const float ws = m > 0 ? 127.f / m : 1.f;
      out_scales_[n] = 1.f / (kHScale * ws);
      for (int64_t k = 0; k < H; ++k) q[n * H + k] = static_cast<int8_t>(std::lround(w_h[n * H + k] * ws));
    }
    plain = wh_plain_;
  } else {
    plain = dnnl::memory({{H, N}, dt::f32, tag::ba}, cpu_engine(), w_h.data());
  }
  dnnl::matmul::primitive_desc pd = step_pd(16);
  wh_ = dnnl::memory(pd.weights_desc(), cpu_engine());
  dnnl::stream s(cpu_engine());
  dnnl::reorder(plain, wh_).execute(s, plain, wh_);
  s.wait();
}

dnnl::matmul::primitive_desc MatmulDirection::step_pd(int64_t B) const {
  const int64_t N = G_ * H_;
  dnnl::memory::desc a({B, H_}, int8_ ? dt::s8 : dt::f32, tag::ab), c({B, N}, dt::f32, tag::ab),
      w({H_, N}, int8_ ? dt::s8 : dt::f32, tag::any);
  dnnl::primitive_attr attr = base_attr();
  if (int8_) attr.set_output_scales(2, out_scales_);
  if (cell_ != RnnCell::kGru) {
    dnnl::post_ops ops;
    ops.append_sum(1.f);
    const auto alg = cell_ == RnnCell::kRnnRelu   ? dnnl::algorithm::eltwise_relu
                     : cell_ == RnnCell::kRnnTanh ? dnnl::algorithm::eltwise_tanh
                                                  : dnnl::algorithm::eltwise_logistic;
    ops.append_eltwise(1.f, alg, 0.f, 0.f);
    attr.set_post_ops(ops);
  }
  return dnnl::matmul::primitive_desc(dnnl::matmul::desc(a, w, c), attr, cpu_engine());
}

// Copies, not pointers into the workspace's cache: putting another primitive may clear the cache.
Workspace::Prim MatmulDirection::step_prim(Workspace& ws, int64_t B) const {
  std::string key = prim_key("rnnmm", owner_, {B});
  if (Workspace::Prim* p = ws.find(key)) return *p;
  dnnl::matmul::primitive_desc pd = step_pd(B);
  Workspace::Prim np;
  np.prim = dnnl::matmul(pd);
  np.weights = pd.weights_desc();
  np.scratch = pd.scratchpad_desc().get_size();
  return ws.put(key, std::move(np));
}

Workspace::Prim MatmulDirection::eltwise_prim(Workspace& ws, dnnl::algorithm alg, int64_t n) {
  std::string key = prim_key("rnneltwise", 0, {static_cast<int64_t>(alg), n});
  if (Workspace::Prim* p = ws.find(key)) return *p;
  dnnl::eltwise_forward::desc d(dnnl::prop_kind::forward_inference, alg, {{n}, dt::f32, tag::a}, 0.f);
  dnnl::eltwise_forward::primitive_desc pd(d, base_attr(), cpu_engine());
  Workspace::Prim np;
  np.prim = dnnl::eltwise_forward(pd);
  np.scratch = pd.scratchpad_desc().get_size();
  return ws.put(key, std::move(np));
}

namespace {

// A oneDNN call with its memory objects made once per block of steps (re-pointed per step where the
// data moves): at batch 1 a step's product takes a microsecond or two, less than making keys, memory
// objects and argument maps for it every step cost.
struct Call {
  dnnl::primitive prim;
  std::unordered_map<int, dnnl::memory> args;
  int threads;
  void operator()(Workspace& ws) const {
    omp_set_num_threads(threads);
    prim.execute(ws.stream(), args);
    ws.bind();
  }
};

}  // namespace

void MatmulDirection::Pipe::wait(int64_t steps) const {
  if (ready == nullptr) return;
  for (int spins = 0; ready->load(std::memory_order_acquire) < steps; ++spins) {
    if (failed->load(std::memory_order_relaxed)) throw PipeFailed();
    if (spins > 64) std::this_thread::yield();  // the layer below may share this core
  }
}

void MatmulDirection::run(Workspace& ws, const Act& x, float* y, int64_t ld_y, bool reverse,
                          const Pipe* pipe) const {
  const int64_t T = x.T, B = x.B, H = H_, N = G_ * H_;
  // The input is projected in blocks of `block` steps: the blocks decide the bytes (int8 scales each
  // by its largest value). A layer not waiting on another projects `per` blocks at once before it
  // steps through them, so that W_hh stays in L2 across more steps (case b1, one thread: 1.07-1.14x
  // by best time in five alternating pairs).
  const int64_t block =
      std::min(T, std::max<int64_t>(pipeline_blocks_ ? 8 : 1,
                                    (pipeline_blocks_ ? kPipeBlockFloats : kBlockFloats) / (B * N)));
  const int64_t n_blocks = (T + block - 1) / block;
  const int64_t per =
      pipe != nullptr ? 1 : std::min(n_blocks, std::max<int64_t>(1, kBlockFloats / (block * B * N)));
  const size_t state = static_cast<size_t>(B * H);
  float* gates = ws.buf(kTmp0, static_cast<size_t>(per * block * B * N));
  float* c = ws.buf(kTmp1, state);
  float* h_buf = ws.buf(kTmp2, 2 * state);  // h_{t-1} and h_t, alternating
  // LSTM: tanh(c); GRU: r, z (rz) and n; then int8's quantized h.
  float* tmp = ws.buf(kTmp3, 3 * state + state / 4 + 16);
  float* rz = tmp;
  float* n = tmp + 2 * state;
  auto* hq = reinterpret_cast<int8_t*>(tmp + 3 * state);
  float* gh = cell_ == RnnCell::kGru ? ws.buf(kTmp4, static_cast<size_t>(B * N)) : nullptr;
  std::memset(c, 0, state * sizeof(float));
  std::memset(h_buf, 0, state * sizeof(float));
  int cur = 0;

  // A step product this small runs on one thread: a fork and join each step cost more than the split
  // saves (case b1 at int8, two threads: about 1.4x faster on one). f32 weights of 1 MB gain from a
  // second core's cache (b1 at f32). oneDNN fixes a matmul's thread count when it is made.
  const bool small_product =
      B * H * N <= (int64_t{1} << 22) && H * N * (int8_ ? 1 : 4) <= (int64_t{512} << 10);
  const int product_threads = small_product ? 1 : ws.threads();
  omp_set_num_threads(product_threads);
  const Workspace::Prim sp = step_prim(ws, B);
  omp_set_num_threads(1);  // the eltwise calls run on one thread below kParallelElements
  const dnnl::memory wh =
      sp.weights == wh_.get_desc() ? wh_ : ws.weights_as(int8_ ? wh_plain_ : wh_, sp.weights);
  struct Eltwise {
    Workspace::Prim prim;
    int64_t n;
    float *src, *dst;
  };
  std::vector<Eltwise> acts;  // the cell's eltwise calls, in order
  if (cell_ == RnnCell::kLstm)
    acts.push_back({eltwise_prim(ws, dnnl::algorithm::eltwise_tanh, B * H), B * H, c, tmp});
  if (cell_ == RnnCell::kGru) {
    acts.push_back({eltwise_prim(ws, dnnl::algorithm::eltwise_logistic, 2 * B * H), 2 * B * H, rz, rz});
    acts.push_back({eltwise_prim(ws, dnnl::algorithm::eltwise_tanh, B * H), B * H, n, n});
  }
  ws.bind();
  // The step product: dst[B, N] = h[B, H] W_hh^T, plus for LSTM and RNN the input projection already
  // in dst and the gates' activation. Dense h and dst keep oneDNN on its brgemm kernel (strided ones
  // fall to gemm:jit, up to 20% slower here). int8 reads h quantized into hq.
  dnnl::memory h_src =
      mem({{B, H}, int8_ ? dt::s8 : dt::f32, tag::ab}, int8_ ? static_cast<void*>(hq) : h_buf);
  dnnl::memory g_dst = mem({{B, N}, dt::f32, tag::ab}, cell_ == RnnCell::kGru ? gh : gates);

  for (int64_t k = 0; k < n_blocks; k += per) {
    // Blocks and steps go right to left in reverse; blocks [kb0, kb1) have the steps [t0, t1).
    const int64_t kb1 = reverse ? n_blocks - k : std::min(n_blocks, k + per);
    const int64_t kb0 = reverse ? std::max<int64_t>(0, kb1 - per) : k;
    const int64_t t0 = kb0 * block, t1 = std::min(T, kb1 * block);
    if (pipe != nullptr) pipe->wait(t1);
    // oneDNN's f32 inner product splits a sum over more than 1024 inputs across its threads when it
    // has few rows, which rounds differently from one thread (GRU 520 over a bidirectional layer
    // below, 1040 inputs, at batch 3: 1.5e-6): those projections run on one thread.
    if (x.C > 1024) omp_set_num_threads(1);
    for (int64_t b0 = t0; b0 < t1; b0 += block) {
      const int64_t b1 = std::min(t1, b0 + block);
      in_.run(ws, x.data + b0 * B * x.C, gates + (b0 - t0) * B * N, (b1 - b0) * B, x.C, N);
    }
    ws.bind();

    // After the projection, which may grow (move) the scratchpad; grown here once to the largest
    // need, the calls' scratchpads then share its buffer.
    size_t scratch = sp.scratch;
    for (const Eltwise& a : acts) scratch = std::max(scratch, a.prim.scratch);
    ws.scratchpad(scratch);
    const Call product{sp.prim,
                       {{DNNL_ARG_SRC, h_src},
                        {DNNL_ARG_WEIGHTS, wh},
                        {DNNL_ARG_DST, g_dst},
                        {DNNL_ARG_SCRATCHPAD, ws.scratchpad(sp.scratch)}},
                       product_threads};
    std::vector<Call> act;
    for (const Eltwise& a : acts) {
      const dnnl::memory::desc md({a.n}, dt::f32, tag::a);
      act.push_back({a.prim.prim,
                     {{DNNL_ARG_SRC, mem(md, a.src)},
                      {DNNL_ARG_DST, mem(md, a.dst)},
                      {DNNL_ARG_SCRATCHPAD, ws.scratchpad(a.prim.scratch)}},
                     a.n < kParallelElements ? 1 : ws.threads()});
    }

    for (int64_t i = 0; i < t1 - t0; ++i) {
      const int64_t t = reverse ? t1 - 1 - i : t0 + i;
      const float* h_prev = h_buf + cur * state;
      cur ^= 1;
      float* h = h_buf + cur * state;
      float* g = gates + (t - t0) * B * N;
      if (int8_) {
        const int64_t m = B * H;
#pragma omp simd
        for (int64_t j = 0; j < m; ++j) hq[j] = static_cast<int8_t>(round_even(h_prev[j] * kHScale));
      } else {
        h_src.set_data_handle(const_cast<float*>(h_prev));
      }
      if (cell_ != RnnCell::kGru) g_dst.set_data_handle(g);
      product(ws);
      switch (cell_) {
        case RnnCell::kLstm: {  // g holds sigmoid(i, f, o) and sigmoid(2 g) = (tanh(g) + 1) / 2
#pragma omp parallel for if (B * H >= kParallelElements)
          for (int64_t b = 0; b < B; ++b) {
            const float* gb = g + b * N;
            float* cb = c + b * H;
#pragma omp simd
            for (int64_t j = 0; j < H; ++j) cb[j] = gb[H + j] * cb[j] + gb[j] * (2.f * gb[2 * H + j] - 1.f);
          }
          act[0](ws);  // tmp = tanh(c)
#pragma omp parallel for if (B * H >= kParallelElements)
          for (int64_t b = 0; b < B; ++b) {
            const float* ob = g + b * N + 3 * H;
            const float* tb = tmp + b * H;
            float* hb = h + b * H;
#pragma omp simd
            for (int64_t j = 0; j < H; ++j) hb[j] = ob[j] * tb[j];
          }
          break;
        }
        case RnnCell::kGru: {  // gh = W_hh h_prev
#pragma omp parallel for if (B * H >= kParallelElements)
          for (int64_t b = 0; b < B; ++b) {
#pragma omp simd
            for (int64_t j = 0; j < 2 * H; ++j) rz[b * 2 * H + j] = g[b * N + j] + gh[b * N + j];
          }
          act[0](ws);  // rz = sigmoid(rz)
#pragma omp parallel for if (B * H >= kParallelElements)
          for (int64_t b = 0; b < B; ++b) {
            const float* gb = g + b * N + 2 * H;
            const float* hn = gh + b * N + 2 * H;
            const float* rb = rz + b * 2 * H;
            const float* bn = b_hn_.data();
            float* nb = n + b * H;
#pragma omp simd
            for (int64_t j = 0; j < H; ++j) nb[j] = gb[j] + rb[j] * (hn[j] + bn[j]);
          }
          act[1](ws);  // n = tanh(n)
#pragma omp parallel for if (B * H >= kParallelElements)
          for (int64_t b = 0; b < B; ++b) {
            const float* zb = rz + b * 2 * H + H;
            const float* nb = n + b * H;
            const float* pb = h_prev + b * H;
            float* hb = h + b * H;
#pragma omp simd
            for (int64_t j = 0; j < H; ++j) hb[j] = nb[j] + zb[j] * (pb[j] - nb[j]);
          }
          break;
        }
        default:  // g = act(W_ih x + b + W_hh h_prev)
          std::memcpy(h, g, state * sizeof(float));
          break;
      }
      for (int64_t b = 0; b < B; ++b) {
        const bool padding = t >= x.len[static_cast<size_t>(b)];
        // In reverse, a record whose last step is before t must start from zero at its last step.
        if (reverse && padding) {
          std::memset(h + b * H, 0, static_cast<size_t>(H) * sizeof(float));
          std::memset(c + b * H, 0, static_cast<size_t>(H) * sizeof(float));
        }
        // Padding steps come out zero, as the layer above expects its input (int8 scales its input
        // blocks by their largest value, padding included).
        float* yr = y + (t * B + b) * ld_y;
        if (padding) std::memset(yr, 0, static_cast<size_t>(H) * sizeof(float));
        else std::memcpy(yr, h + b * H, static_cast<size_t>(H) * sizeof(float));
      }
    }
    if (pipe != nullptr) pipe->done->store(t1, std::memory_order_release);
  }
}

}  // namespace seqflow::onednn
