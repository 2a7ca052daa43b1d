// nn.TransformerEncoderLayer and nn.TransformerDecoderLayer (eval mode), post-norm or norm_first,
// relu or gelu, optional causal self-attention; the decoder cross-attends to a memory sequence. The
// attention modules alone: multihead_attention (self or cross), Conformer's relative-position
// attention, and the nn.TransformerEncoder/Decoder stacks unrolled into layers (expand_stack).
//
// Full sequences: projections run on all rows of the batch at once (oneDNN inner products); the
// attention itself runs per record over exactly its own length (oneDNN matmuls over strided views of
// the projections, softmax on oneDNN), so padding never enters a softmax: this is PyTorch's key-padding
// mask, exactly. One step at a time: keys and values of past steps stay in a per-session cache, so a
// step projects only the new token and attends over the cache (O(1) new projection work per step).
#include <cfloat>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "onednn/layers.hpp"

namespace seqflow::onednn {
namespace {

using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;
using dims = dnnl::memory::dims;

struct AttnState : LayerState {
  int64_t B = 0, cap = 0, d = 0;
  std::vector<float> k, v;    // [B, cap, d] self-attention cache
  std::vector<float> mem_kv;  // decoder: [B, Tm, 2d] projected memory
  std::vector<int64_t> mem_len;
  int64_t Tm = 0;
};

// Runs (and caches) a matmul: dst = scale * src x wei, each a strided 3D view.
void matmul3(Workspace& ws, const float* a, const dims& ad, const dims& as, const float* b, const dims& bd,
             const dims& bs, float* c, const dims& cd, const dims& cs, float scale) {
  int32_t scale_bits;
  std::memcpy(&scale_bits, &scale, sizeof(scale_bits));
  std::string key = prim_key(
      "mm", 0, {ad[0], ad[1], ad[2], as[0], as[1], bd[2], bs[0], bs[1], bs[2], cs[0], cs[1], scale_bits});
  dnnl::memory::desc amd(ad, dt::f32, as), bmd(bd, dt::f32, bs), cmd(cd, dt::f32, cs);
  Workspace::Prim* p = ws.find(key);
  if (p == nullptr) {
    dnnl::primitive_attr attr = base_attr();
    if (scale != 1.f) attr.set_output_scales(0, {scale});
    dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(amd, bmd, cmd), attr, cpu_engine());
    Workspace::Prim np;
    np.prim = dnnl::matmul(pd);
    np.scratch = pd.scratchpad_desc().get_size();
    p = &ws.put(key, std::move(np));
  }
  ws.run(*p, {{DNNL_ARG_SRC, amd, a}, {DNNL_ARG_WEIGHTS, bmd, b}, {DNNL_ARG_DST, cmd, c}});
}

void softmax_rows(Workspace& ws, float* x, int64_t rows, int64_t n) {
  std::string key = prim_key("softmax", 0, {rows, n});
  dnnl::memory::desc md({rows, n}, dt::f32, tag::ab);
  Workspace::Prim* p = ws.find(key);
  if (p == nullptr) {
    dnnl::softmax_forward::primitive_desc pd(
        dnnl::softmax_forward::desc(dnnl::prop_kind::forward_inference, md, 1), base_attr(), cpu_engine());
    Workspace::Prim np;
    np.prim = dnnl::softmax_forward(pd);
    np.scratch = pd.scratchpad_desc().get_size();
    p = &ws.put(key, std::move(np));
  }
  ws.run(*p, {{DNNL_ARG_SRC, md, x}, {DNNL_ARG_DST, md, x}});
}

// Rows of a record's attention: its length rounded up by round_steps(), within the batch's `T` rows. The
// attention primitives are made for each (Lq, Lk), and making one (0.05-0.2 ms) cost a small model's batch
// more than its attention did (x6 of bench/onednn, whose every new length made six); rounded, they serve
// eight lengths. The extra keys are masked and the extra queries dropped.
int64_t attention_rows(int64_t len, int64_t T) { return std::min(T, round_steps(len)); }

// Attention scores of at most this many floats exist at once (16 MB): a long record's queries go in
// blocks, so attention's memory grows with the record's length, not with its square (a 20,000-step
// record at 8 heads would need 12.8 GB of scores at once).
constexpr int64_t kMaxScores = int64_t{1} << 22;

// Query rows per block when each row has `per_row` scores: all of them while they fit, else a multiple
// of kStepGrain (a block's shape depends on the lengths only, so the bytes do not depend on threads).
int64_t query_block(int64_t rows, int64_t per_row) {
  if (rows * per_row <= kMaxScores) return rows;
  return std::max<int64_t>(kStepGrain, kMaxScores / per_row / kStepGrain * kStepGrain);
}

// Attention of one record: q [Lq rows, stride ldq], k/v [Lk rows, stride ldkv], ctx [Lq, stride ldc];
// head h uses columns h*dh .. (h+1)*dh of each. Keys from `valid_k` on are masked: rows of padding,
// made from the zeros a layer gets there (Act), so finite, which their zero weights leave out exactly.
void attend(Workspace& ws, const float* q, int64_t ldq, const float* k, const float* v, int64_t ldkv,
            float* ctx, int64_t ldc, int64_t H, int64_t dh, int64_t Lq, int64_t Lk, int64_t valid_k,
            bool causal) {
  const int64_t blk = query_block(Lq, H * Lk);
  float* s = ws.buf(kTmp3, static_cast<size_t>(H * blk * Lk));
  const float scale = 1.f / std::sqrt(static_cast<float>(dh));
  for (int64_t q0 = 0; q0 < Lq; q0 += blk) {
    const int64_t n = std::min(blk, Lq - q0);
    matmul3(ws, q + q0 * ldq, {H, n, dh}, {dh, ldq, 1}, k, {H, dh, Lk}, {dh, 1, ldkv}, s, {H, n, Lk},
            {n * Lk, Lk, 1}, scale);
    for (int64_t h = 0; h < H; ++h)
      for (int64_t i = 0; i < n; ++i)
        for (int64_t j = causal ? std::min(q0 + i + 1, valid_k) : valid_k; j < Lk; ++j)
          s[(h * n + i) * Lk + j] = -INFINITY;
    softmax_rows(ws, s, H * n, Lk);
    matmul3(ws, s, {H, n, Lk}, {n * Lk, Lk, 1}, v, {H, Lk, dh}, {dh, ldkv, 1}, ctx + q0 * ldc, {H, n, dh},
            {dh, ldc, 1}, 1.f);
  }
}

// One query row against `n` cached keys/values (rows of stride ld): ctx[d] for all heads.
void attend_one(const float* q, const float* k, const float* v, int64_t ld, int64_t n, int64_t H, int64_t dh,
                float* ctx, float* scores) {
  const float scale = 1.f / std::sqrt(static_cast<float>(dh));
  for (int64_t h = 0; h < H; ++h) {
    const float* qh = q + h * dh;
    float m = -INFINITY;
    for (int64_t j = 0; j < n; ++j) {
      const float* kj = k + j * ld + h * dh;
      float acc = 0;
#pragma omp simd reduction(+ : acc)
      for (int64_t c = 0; c < dh; ++c) acc += qh[c] * kj[c];
      scores[j] = acc * scale;
      m = std::max(m, scores[j]);
    }
    float sum = 0;
    for (int64_t j = 0; j < n; ++j) {
      scores[j] = std::exp(scores[j] - m);
      sum += scores[j];
    }
    float* out = ctx + h * dh;
    std::memset(out, 0, static_cast<size_t>(dh) * sizeof(float));
    for (int64_t j = 0; j < n; ++j) {
      const float p = scores[j] / sum;
      const float* vj = v + j * ld + h * dh;
#pragma omp simd
      for (int64_t c = 0; c < dh; ++c) out[c] += p * vj[c];
    }
  }
}

// Rows of `v`, each `width` wide, in the order `rows` names (beam search's reorder).
void permute_rows(std::vector<float>& v, std::span<const uint32_t> rows, int64_t width) {
  std::vector<float> out(rows.size() * static_cast<size_t>(width));
  for (size_t i = 0; i < rows.size(); ++i)
    std::memcpy(out.data() + i * width, v.data() + rows[i] * width,
                static_cast<size_t>(width) * sizeof(float));
  v = std::move(out);
}

// Self-attention, nn.MultiheadAttention(x, x, x) in eval mode: the packed q/k/v projection on all rows
// at once, each record's attention over exactly its own steps, the output projection. One step at a
// time, keys and values of past steps wait in the session's cache (AttnState::k, v).
// Rotary position embeddings (RoFormer) on each head's queries and keys: pairs of a head's dims turn
// by the angle position * base^(-2i / dh), in float32 as Hugging Face computes them. kHalf pairs dim
// i with i + dh/2 (GPT-NeoX, LLaMA and ESM-2 in Hugging Face), kInterleaved dim 2i with 2i + 1
// (GPT-J, Meta's LLaMA code).
enum class Rotary { kNone, kHalf, kInterleaved };

class SelfAttention {
 public:
  SelfAttention() = default;
  SelfAttention(Dense qkv, Dense out, int64_t d, int64_t heads, bool causal, Rotary rotary = Rotary::kNone,
                float base = 10000.f)
      : qkv_(std::move(qkv)),
        out_(std::move(out)),
        d_(d),
        H_(heads),
        dh_(d / heads),
        causal_(causal),
        rotary_(rotary) {
    for (int64_t i = 0; i < dh_ / 2; ++i)
      inv_freq_.push_back(1.f / std::pow(base, static_cast<float>(2 * i) / static_cast<float>(dh_)));
  }

  // a = out(attention(h)) for the rows of x (h is x's, or x normalized), or a += that.
  void full(Workspace& ws, const Act& x, const float* h, float* a, bool accumulate) const {
    const int64_t rows = x.rows();
    float* qkv = ws.buf(kTmp1, static_cast<size_t>(rows * 3 * d_));
    float* ctx = ws.buf(kTmp2, static_cast<size_t>(rows * d_));
    qkv_.run(ws, h, qkv, rows);
    for (int64_t b = 0; b < x.B; ++b) {
      const int64_t L = x.len[b], R = attention_rows(L, x.T);
      float* base = qkv + b * x.T * 3 * d_;
      for (int64_t t = 0; t < L; ++t) rotate(base + t * 3 * d_, t);
      attend(ws, base, 3 * d_, base + d_, base + 2 * d_, 3 * d_, ctx + b * x.T * d_, d_, H_, dh_, R, R, L,
             causal_);
      if (L < x.T)
        std::memset(ctx + (b * x.T + L) * d_, 0, static_cast<size_t>((x.T - L) * d_) * sizeof(float));
    }
    out_.run(ws, ctx, a, rows, 0, 0, accumulate);
  }

  void begin(AttnState& s, int64_t batch) const {
    s.B = batch;
    s.d = d_;
    s.cap = 64;
    s.k.assign(static_cast<size_t>(batch * s.cap * d_), 0.f);
    s.v = s.k;
  }

  // One step at position `pos` for B rows of h.
  void step(Workspace& ws, AttnState& s, int64_t B, const float* h, float* a, int64_t pos,
            bool accumulate) const {
    if (pos >= s.cap) grow(s, std::max(2 * s.cap, pos + 1));
    float* qkv = ws.buf(kTmp1, static_cast<size_t>(B * 3 * d_));
    float* ctx = ws.buf(kTmp2, static_cast<size_t>(B * d_ + pos + 1));
    float* scores = ctx + B * d_;
    qkv_.run(ws, h, qkv, B);
    for (int64_t b = 0; b < B; ++b) {
      rotate(qkv + b * 3 * d_, pos);
      float* kc = s.k.data() + b * s.cap * d_;
      float* vc = s.v.data() + b * s.cap * d_;
      std::memcpy(kc + pos * d_, qkv + b * 3 * d_ + d_, static_cast<size_t>(d_) * sizeof(float));
      std::memcpy(vc + pos * d_, qkv + b * 3 * d_ + 2 * d_, static_cast<size_t>(d_) * sizeof(float));
      attend_one(qkv + b * 3 * d_, kc, vc, d_, pos + 1, H_, dh_, ctx + b * d_, scores);
    }
    out_.run(ws, ctx, a, B, 0, 0, accumulate);
  }

  void reorder(AttnState& s, std::span<const uint32_t> rows) const {
    permute_rows(s.k, rows, s.cap * d_);
    permute_rows(s.v, rows, s.cap * d_);
    s.B = static_cast<int64_t>(rows.size());
  }

 private:
  void grow(AttnState& s, int64_t cap) const {
    auto regrow = [&](std::vector<float>& v) {
      std::vector<float> out(static_cast<size_t>(s.B * cap * d_), 0.f);
      for (int64_t b = 0; b < s.B; ++b)
        std::memcpy(out.data() + b * cap * d_, v.data() + b * s.cap * d_,
                    static_cast<size_t>(s.cap * d_) * sizeof(float));
      v = std::move(out);
    };
    regrow(s.k);
    regrow(s.v);
    s.cap = cap;
  }

  // The rotary embedding of position `pos` on one row's queries and keys ([q | k | v], 3d wide).
  void rotate(float* row, int64_t pos) const {
    if (rotary_ == Rotary::kNone) return;
    const int64_t half = dh_ / 2;
    for (int64_t part = 0; part < 2; ++part)
      for (int64_t h = 0; h < H_; ++h) {
        float* x = row + part * d_ + h * dh_;
        for (int64_t i = 0; i < half; ++i) {
          const float a = static_cast<float>(pos) * inv_freq_[static_cast<size_t>(i)];
          const float c = std::cos(a), s = std::sin(a);
          float& x1 = x[rotary_ == Rotary::kHalf ? i : 2 * i];
          float& x2 = x[rotary_ == Rotary::kHalf ? i + half : 2 * i + 1];
          const float y1 = x1 * c - x2 * s, y2 = x2 * c + x1 * s;
          x1 = y1;
          x2 = y2;
        }
      }
  }

  Dense qkv_, out_;
  int64_t d_ = 0, H_ = 1, dh_ = 0;
  bool causal_ = false;
  Rotary rotary_ = Rotary::kNone;
  std::vector<float> inv_freq_;
};

// Cross-attention to a memory sequence of m features (nn.TransformerDecoderLayer's multihead_attn, or
// a decoder block's own module): queries from the layer's rows, keys and values projected from each
// record's memory, over exactly its memory's steps; one step at a time, the memory is projected once
// per session (AttnState::mem_kv).
class CrossAttention {
 public:
  CrossAttention() = default;
  CrossAttention(Dense q, Dense kv, Dense out, int64_t d, int64_t heads)
      : q_(std::move(q)), kv_(std::move(kv)), out_(std::move(out)), d_(d), H_(heads), dh_(d / heads) {}
  int64_t memory_dim() const { return kv_.in(); }

  // Why `memory` cannot be attended to ("" when it can).
  std::string memory_error(const Act* memory) const {
    if (memory == nullptr) return "needs a memory input (onednn.run's memory field)";
    if (memory->C != memory_dim())
      return "memory has " + std::to_string(memory->C) + " features, expected " +
             std::to_string(memory_dim());
    return "";
  }

  // a = out(attention(h, memory)) for the rows of x, or a += that.
  void full(Workspace& ws, const Act& x, const Act& m, const float* h, float* a, bool accumulate) const {
    const int64_t rows = x.rows();
    float* q = ws.buf(kTmp1, static_cast<size_t>(rows * d_));
    float* ctx = ws.buf(kTmp2, static_cast<size_t>(rows * d_));
    float* kv = ws.buf(kMemTmp, static_cast<size_t>(m.rows() * 2 * d_));
    q_.run(ws, h, q, rows);
    kv_.run(ws, m.data, kv, m.rows());
    for (int64_t b = 0; b < x.B; ++b) {
      const int64_t L = x.len[b];
      const float* kvb = kv + b * m.T * 2 * d_;
      attend(ws, q + b * x.T * d_, d_, kvb, kvb + d_, 2 * d_, ctx + b * x.T * d_, d_, H_, dh_,
             attention_rows(L, x.T), attention_rows(m.len[b], m.T), m.len[b], false);
      if (L < x.T)
        std::memset(ctx + (b * x.T + L) * d_, 0, static_cast<size_t>((x.T - L) * d_) * sizeof(float));
    }
    out_.run(ws, ctx, a, rows, 0, 0, accumulate);
  }

  void begin(Workspace& ws, AttnState& s, const Act& memory) const {
    Act m = memory;
    ws.to_layout(m, Layout::kNTC);
    s.Tm = m.T;
    s.mem_len = m.len;
    s.mem_kv.resize(static_cast<size_t>(m.B * m.T * 2 * d_));
    kv_.run(ws, m.data, s.mem_kv.data(), m.rows());
  }

  void step(Workspace& ws, AttnState& s, int64_t B, const float* h, float* a, bool accumulate) const {
    float* q = ws.buf(kTmp1, static_cast<size_t>(B * d_));
    float* ctx = ws.buf(kTmp2, static_cast<size_t>(B * d_ + s.Tm));
    float* scores = ctx + B * d_;
    q_.run(ws, h, q, B);
    for (int64_t b = 0; b < B; ++b) {
      const float* kv = s.mem_kv.data() + b * s.Tm * 2 * d_;
      attend_one(q + b * d_, kv, kv + d_, 2 * d_, s.mem_len[b], H_, dh_, ctx + b * d_, scores);
    }
    out_.run(ws, ctx, a, B, 0, 0, accumulate);
  }

  void reorder(AttnState& s, std::span<const uint32_t> rows) const {
    permute_rows(s.mem_kv, rows, s.Tm * 2 * d_);
    std::vector<int64_t> len;
    for (uint32_t r : rows) len.push_back(s.mem_len[r]);
    s.mem_len = std::move(len);
  }

 private:
  Dense q_, kv_, out_;
  int64_t d_ = 0, H_ = 1, dh_ = 0;
};

class Transformer : public Layer {
 public:
  Transformer(bool decoder, BuildCtx& ctx) : decoder_(decoder) {
    std::string p = ctx.prefix();
    std::vector<int64_t> s = ctx.shape_of(p + ".self_attn.in_proj_weight");
    if (s.size() != 2 || s[0] != 3 * s[1])
      throw WeightsError(ctx.where() + ": parameter '" + p + ".self_attn.in_proj_weight' has shape " +
                         shape_str(s) + ", expected [3 * d_model, d_model]");
    d_ = ctx.keys.get_int("d_model", s[1], 1);
    if (!ctx.keys.has("nhead"))
      throw WeightsError(ctx.where() + ": needs key 'nhead' (the number of attention heads)");
    H_ = ctx.keys.get_int("nhead", 1, 1);
    if (d_ % H_ != 0)
      throw WeightsError(ctx.where() + ": d_model " + std::to_string(d_) + " is not divisible by nhead " +
                         std::to_string(H_));
    dh_ = d_ / H_;
    std::vector<int64_t> f = ctx.shape_of(p + ".linear1.weight");
    ff_ = ctx.keys.get_int("dim_feedforward", f.empty() ? 0 : f[0], 1);
    std::string act = ctx.keys.get_choice("activation", "relu", "relu|gelu");
    eps_ = static_cast<float>(ctx.keys.get_float("layer_norm_eps", 1e-5));
    norm_first_ = ctx.keys.get_bool("norm_first", false);
    causal_ = ctx.keys.get_bool("causal", decoder);
    // PyTorch 2.1's bias = false drops every bias of the layer, its LayerNorms' included.
    const bool bias = ctx.keys.get_bool("bias", ctx.has(p + ".self_attn.in_proj_bias"));
    auto get_bias = [&](const std::string& name, int64_t n) {
      return bias ? ctx.get(name, {n}) : std::vector<float>();
    };
    ctx.keys.ignore("dropout");
    ctx.keys.ignore("batch_first");
    ctx.expect_in_dim(d_, "d_model");
    const Precision prec = ctx.options.precision;

    auto attn = [&](const std::string& name, bool split) {
      std::vector<float> w = ctx.get(p + "." + name + ".in_proj_weight", {3 * d_, d_});
      std::vector<float> b = get_bias(p + "." + name + ".in_proj_bias", 3 * d_);
      std::vector<float> wo = ctx.get(p + "." + name + ".out_proj.weight", {d_, d_});
      std::vector<float> bo = get_bias(p + "." + name + ".out_proj.bias", d_);
      Dense out(std::move(wo), std::move(bo), d_, d_, prec);
      if (!split)
        return std::make_tuple(Dense(std::move(w), std::move(b), 3 * d_, d_, prec), Dense(), std::move(out));
      const size_t dd = static_cast<size_t>(d_ * d_);
      std::vector<float> wq(w.begin(), w.begin() + dd), wkv(w.begin() + dd, w.end());
      std::vector<float> bq, bkv;
      if (bias) {
        bq.assign(b.begin(), b.begin() + d_);
        bkv.assign(b.begin() + d_, b.end());
      }
      return std::make_tuple(Dense(std::move(wq), std::move(bq), d_, d_, prec),
                             Dense(std::move(wkv), std::move(bkv), 2 * d_, d_, prec), std::move(out));
    };
    {
      auto [qkv, unused, out] = attn("self_attn", false);
      self_ = SelfAttention(std::move(qkv), std::move(out), d_, H_, causal_);
    }
    if (decoder_) {
      auto [q, kv, out] = attn("multihead_attn", true);
      cross_ = CrossAttention(std::move(q), std::move(kv), std::move(out), d_, H_);
    }
    ff1_ = Dense(ctx.get(p + ".linear1.weight", {ff_, d_}), get_bias(p + ".linear1.bias", ff_), ff_, d_, prec,
                 true, act == "gelu" ? Act1::kGeluErf : Act1::kRelu);
    ff2_ = Dense(ctx.get(p + ".linear2.weight", {d_, ff_}), get_bias(p + ".linear2.bias", d_), d_, ff_, prec);
    for (int i = 1; i <= (decoder_ ? 3 : 2); ++i) {
      std::string n = p + ".norm" + std::to_string(i);
      std::vector<float> nb = get_bias(n + ".bias", d_);
      if (!bias) nb.assign(static_cast<size_t>(d_), 0.f);  // x * g + 0 is x * g exactly
      norms_.push_back({ctx.get(n + ".weight", {d_}), std::move(nb)});
    }
    in_dim = out_dim = d_;
    out_channels = 0;
  }

  bool uses_memory() const override { return decoder_; }
  int64_t memory_dim() const override { return decoder_ ? d_ : 0; }
  std::string step_unsupported() const override {
    return causal_ ? "" : where + " attends to future steps (set causal = true for a left-to-right model)";
  }

  void forward(Workspace& ws, Act& x, const Act* memory) const override {
    ws.to_layout(x, Layout::kNTC);
    if (decoder_)
      if (std::string why = cross_.memory_error(memory); !why.empty())
        throw std::runtime_error(where + ": " + why);
    block(
        ws, x, [&](const float* h, float* a) { self_.full(ws, x, h, a, true); },
        [&](const float* h, float* a) { cross_.full(ws, x, *memory, h, a, true); });
  }

  std::unique_ptr<LayerState> begin(Workspace& ws, int64_t batch, const Act* memory) const override {
    auto s = std::make_unique<AttnState>();
    self_.begin(*s, batch);
    if (decoder_) {
      if (std::string why = cross_.memory_error(memory); !why.empty())
        throw std::runtime_error(where + ": " + why);
      cross_.begin(ws, *s, *memory);
    }
    return s;
  }

  void step(Workspace& ws, Act& x, LayerState* state, int64_t pos) const override {
    auto* s = static_cast<AttnState*>(state);
    ws.to_layout(x, Layout::kNTC);
    block(
        ws, x, [&](const float* h, float* a) { self_.step(ws, *s, x.B, h, a, pos, true); },
        [&](const float* h, float* a) { cross_.step(ws, *s, x.B, h, a, true); });
  }

  void reorder(LayerState* state, std::span<const uint32_t> rows) const override {
    auto* s = static_cast<AttnState*>(state);
    self_.reorder(*s, rows);
    if (decoder_) cross_.reorder(*s, rows);
  }

 private:
  // The layer's residual structure; `self(h, x)` and `cross(h, x)` add attention outputs for inputs h to
  // x, their output products accumulating into x (oneDNN's sum post-op) after everything that reads it.
  template <class Self, class Cross>
  void block(Workspace& ws, Act& x, Self self, Cross cross) const {
    const int64_t rows = x.rows();
    float* h = ws.buf(kTmp0, static_cast<size_t>(rows * d_));
    size_t norm = 0;
    auto sublayer = [&](auto&& f) {
      const Norm& n = norms_[norm++];
      if (norm_first_) {
        layer_norm_rows(ws, x.data, h, rows, d_, n.g.data(), n.b.data(), eps_);
        f(h, x.data);
      } else {
        f(x.data, x.data);
        layer_norm_rows(ws, x.data, x.data, rows, d_, n.g.data(), n.b.data(), eps_);
      }
    };
    sublayer(self);
    if (decoder_) sublayer(cross);
    sublayer([&](const float* in, float* out) {
      float* hidden = ws.buf(kTmp3, static_cast<size_t>(rows * ff_));
      ff1_.run(ws, in, hidden, rows);
      ff2_.run(ws, hidden, out, rows, 0, 0, true);
    });
  }

  struct Norm {
    std::vector<float> g, b;
  };
  bool decoder_;
  int64_t d_ = 0, H_ = 1, dh_ = 0, ff_ = 0;
  float eps_ = 1e-5f;
  bool norm_first_ = false, causal_ = false;
  SelfAttention self_;
  CrossAttention cross_;
  Dense ff1_, ff2_;
  std::vector<Norm> norms_;
};

// nn.MultiheadAttention alone: self-attention (query, key and value all the layer's input) or, with
// cross_attention = true, attention to the memory field (a decoder block's cross-attention). With
// residual, layer_norm and linear layers it builds the Transformer blocks that models write as
// separate modules. Weights: nn.MultiheadAttention's packed in_proj (or its q/k/v_proj_weight when
// kdim differs), or separate q, k, v and output Linears under the names the keys give (ESPnet's
// linear_q..linear_out and Hugging Face's q_proj..out_proj are found without keys), each bias present
// or not as the file has it (Whisper's key projection has none).
class MultiheadAttention : public Layer {
 public:
  explicit MultiheadAttention(BuildCtx& ctx) {
    const std::string p = ctx.prefix();
    if (!ctx.keys.has("num_heads"))
      throw WeightsError(ctx.where() + ": needs key 'num_heads' (the number of attention heads)");
    const int64_t heads = ctx.keys.get_int("num_heads", 1, 1);
    cross_attention_ = ctx.keys.get_bool("cross_attention", false);
    causal_ = ctx.keys.get_bool("causal", false);
    if (cross_attention_ && causal_)
      throw WeightsError(ctx.where() + ": causal applies to self-attention, not to cross_attention");
    const std::string rotary = ctx.keys.get_choice("rotary", "none", "none|half|interleaved");
    const float rotary_base = static_cast<float>(ctx.keys.get_float("rotary_base", 10000.0));
    if (cross_attention_ && rotary != "none")
      throw WeightsError(ctx.where() + ": rotary applies to self-attention, not to cross_attention");
    ctx.keys.ignore("dropout");
    ctx.keys.ignore("batch_first");
    const Precision prec = ctx.options.precision;

    // Where the weights are: packed (nn.MultiheadAttention's in_proj, or one Linear named by qkv_proj,
    // as GPT-2's c_attn), nn.MultiheadAttention's separate parameters, or Linears. transposed: the
    // Linears are stored [in, out] (GPT-2's Conv1D).
    const char* keys[4] = {"q_proj", "k_proj", "v_proj", "out_proj"};
    const std::string fused = ctx.keys.get_string("qkv_proj", "");
    const bool transposed = ctx.keys.get_bool("transposed", false);
    const bool named = ctx.keys.has("q_proj") || ctx.keys.has("k_proj") || ctx.keys.has("v_proj");
    if (named && !fused.empty())
      throw WeightsError(ctx.where() +
                         ": qkv_proj names one packed projection; q_proj, k_proj and v_proj "
                         "three separate ones: give one or the other");
    const std::string packed_name = fused.empty() ? p + ".in_proj_" : p + "." + fused + ".";
    const bool packed = !fused.empty() || (!named && ctx.has(p + ".in_proj_weight"));
    const bool params = !named && !packed && ctx.has(p + ".q_proj_weight");
    std::string names[4];
    if (packed || params) {
      names[3] = ctx.keys.get_string("out_proj", "out_proj");
    } else {
      const char* espnet[4] = {"linear_q", "linear_k", "linear_v", "linear_out"};
      const bool hf = ctx.has(p + ".q_proj.weight");
      const bool es = !hf && ctx.has(p + ".linear_q.weight");
      // LLaMA and Mistral name the output o_proj.
      const bool o = hf && !ctx.has(p + ".out_proj.weight") && ctx.has(p + ".o_proj.weight");
      for (int i = 0; i < 4; ++i)
        names[i] = ctx.keys.get_string(keys[i], es ? espnet[i] : i == 3 && o ? "o_proj" : keys[i]);
    }
    auto weight = [&](int i) {
      return packed   ? packed_name + "weight"
             : params ? p + "." + keys[i] + "_weight"
                      : p + "." + names[i] + ".weight";
    };
    auto get_weight = [&](const std::string& name, int64_t rows, int64_t cols) {
      return ctx.get_matrix(name, rows, cols, transposed);
    };
    auto shape = [&](const std::string& name) {
      std::vector<int64_t> sh = ctx.shape_of(name);
      if (transposed && sh.size() == 2) std::swap(sh[0], sh[1]);
      return sh;
    };
    if (!ctx.has(weight(0)))
      throw WeightsError(ctx.where() + ": " + weight(0) +
                         " is missing: the file has neither nn.MultiheadAttention's '" + p +
                         ".in_proj_weight' nor separate projections; name them with the keys q_proj, k_proj, "
                         "v_proj and out_proj (the Linears' names under the prefix)");
    const std::vector<int64_t> sq = shape(weight(0));
    if (sq.size() != 2 || sq[0] != (packed ? 3 : 1) * sq[1])
      throw WeightsError(ctx.where() + ": parameter '" + weight(0) + "' has shape " + shape_str(sq) +
                         ", expected [" + (packed ? "3 * " : "") + "embed_dim, embed_dim]");
    d_ = ctx.keys.get_int("embed_dim", sq[1], 1);
    if (d_ % heads != 0)
      throw WeightsError(ctx.where() + ": embed_dim " + std::to_string(d_) +
                         " is not divisible by num_heads " + std::to_string(heads));
    if (rotary != "none" && (d_ / heads) % 2 != 0)
      throw WeightsError(ctx.where() + ": rotary needs an even head size, got " + std::to_string(d_ / heads));
    if (!(rotary_base > 0.f)) throw WeightsError(ctx.where() + ": rotary_base must be positive");
    const std::vector<int64_t> sk = packed ? sq : shape(weight(1));
    const int64_t m = ctx.keys.get_int("kdim", packed || sk.size() != 2 ? d_ : sk[1], 1);
    ctx.keys.get_int("vdim", m, m, m);
    // Grouped-query attention (LLaMA, Mistral): key and value projections of fewer heads, each shared
    // by num_heads / num_key_value_heads query heads; their rows are repeated for those heads at
    // build, which computes what repeat_kv does.
    const int64_t dh = d_ / heads;
    const int64_t kv_heads = ctx.keys.get_int(
        "num_key_value_heads", !packed && sk.size() == 2 && sk[0] % dh == 0 ? sk[0] / dh : heads, 1, heads);
    if (heads % kv_heads != 0)
      throw WeightsError(ctx.where() + ": num_heads " + std::to_string(heads) +
                         " is not a multiple of num_key_value_heads " + std::to_string(kv_heads));
    if (!cross_attention_ && m != d_)
      throw WeightsError(ctx.where() + ": keys of " + std::to_string(m) +
                         " features need cross_attention = true "
                         "(self-attention's keys are its input of embed_dim " +
                         std::to_string(d_) + ")");
    ctx.expect_in_dim(d_, "embed_dim");

    auto bias_of = [&](const std::string& name, int64_t n) {
      return ctx.has(name) ? ctx.get(name, {n}) : std::vector<float>(static_cast<size_t>(n), 0.f);
    };
    std::vector<float> w[3], b[3];
    if (packed) {
      const std::vector<float> all = get_weight(weight(0), 3 * d_, d_);
      const std::vector<float> bias = bias_of(packed_name + "bias", 3 * d_);
      for (int i = 0; i < 3; ++i) {
        w[i].assign(all.begin() + i * d_ * d_, all.begin() + (i + 1) * d_ * d_);
        b[i].assign(bias.begin() + i * d_, bias.begin() + (i + 1) * d_);
      }
    } else {
      const std::vector<float> packed_bias =
          params ? bias_of(p + ".in_proj_bias", 3 * d_) : std::vector<float>();
      for (int i = 0; i < 3; ++i) {
        const int64_t rows = i == 0 ? d_ : kv_heads * dh;
        w[i] = get_weight(weight(i), rows, i == 0 ? d_ : m);
        b[i] = params ? std::vector<float>(packed_bias.begin() + i * d_, packed_bias.begin() + (i + 1) * d_)
                      : bias_of(p + "." + names[i] + ".bias", rows);
        if (rows != d_) {  // head h reads key/value head h / (num_heads / num_key_value_heads)
          std::vector<float> wf, bf;
          for (int64_t h = 0; h < heads; ++h) {
            const int64_t g = h / (heads / kv_heads);
            wf.insert(wf.end(), w[i].begin() + g * dh * m, w[i].begin() + (g + 1) * dh * m);
            bf.insert(bf.end(), b[i].begin() + g * dh, b[i].begin() + (g + 1) * dh);
          }
          w[i] = std::move(wf);
          b[i] = std::move(bf);
        }
      }
    }
    const std::string o = p + "." + names[3];
    Dense out(get_weight(o + ".weight", d_, d_), bias_of(o + ".bias", d_), d_, d_, prec);
    auto join = [](std::vector<float>* parts, int n) {
      std::vector<float> v;
      for (int i = 0; i < n; ++i) v.insert(v.end(), parts[i].begin(), parts[i].end());
      return v;
    };
    if (cross_attention_) {
      cross_ =
          CrossAttention(Dense(std::move(w[0]), std::move(b[0]), d_, d_, prec),
                         Dense(join(w + 1, 2), join(b + 1, 2), 2 * d_, m, prec), std::move(out), d_, heads);
    } else {
      self_ =
          SelfAttention(Dense(join(w, 3), join(b, 3), 3 * d_, d_, prec), std::move(out), d_, heads, causal_,
                        rotary == "half"          ? Rotary::kHalf
                        : rotary == "interleaved" ? Rotary::kInterleaved
                                                  : Rotary::kNone,
                        rotary_base);
    }
    in_dim = out_dim = d_;
    out_channels = 0;
  }

  bool uses_memory() const override { return cross_attention_; }
  int64_t memory_dim() const override { return cross_attention_ ? cross_.memory_dim() : 0; }
  std::string step_unsupported() const override {
    return causal_ || cross_attention_
               ? ""
               : where + " attends to future steps (set causal = true for a left-to-right model)";
  }
  void forward(Workspace& ws, Act& x, const Act* memory) const override {
    ws.to_layout(x, Layout::kNTC);
    Act y = ws.next(x, d_, Layout::kNTC);
    if (cross_attention_) {
      if (std::string why = cross_.memory_error(memory); !why.empty())
        throw std::runtime_error(where + ": " + why);
      cross_.full(ws, x, *memory, x.data, y.data, false);
    } else {
      self_.full(ws, x, x.data, y.data, false);
    }
    x = std::move(y);
  }
  std::unique_ptr<LayerState> begin(Workspace& ws, int64_t batch, const Act* memory) const override {
    auto s = std::make_unique<AttnState>();
    if (cross_attention_) {
      if (std::string why = cross_.memory_error(memory); !why.empty())
        throw std::runtime_error(where + ": " + why);
      cross_.begin(ws, *s, *memory);
    } else {
      self_.begin(*s, batch);
    }
    return s;
  }
  void step(Workspace& ws, Act& x, LayerState* state, int64_t pos) const override {
    ws.to_layout(x, Layout::kNTC);
    Act y = ws.next(x, d_, Layout::kNTC);
    auto* s = static_cast<AttnState*>(state);
    if (cross_attention_) cross_.step(ws, *s, x.B, x.data, y.data, false);
    else self_.step(ws, *s, x.B, x.data, y.data, pos, false);
    x = std::move(y);
  }
  void reorder(LayerState* state, std::span<const uint32_t> rows) const override {
    auto* s = static_cast<AttnState*>(state);
    if (cross_attention_) cross_.reorder(*s, rows);
    else self_.reorder(*s, rows);
  }

 private:
  SelfAttention self_;
  CrossAttention cross_;
  int64_t d_ = 0;
  bool causal_ = false, cross_attention_ = false;
};

// Conformer's self-attention with relative positions (ESPnet's RelPositionMultiHeadedAttention and
// NeMo's RelPositionMultiHeadAttention; WeNet's variant with pos = "absolute"): scores
// (q + u) k^T + (q + v) P^T over sqrt(d_k), where P is linear_pos of the sinusoids of the relative
// positions i - j (ESPnet's rel_shift, done here as an index) or, for WeNet, of the key's position j.
// Each record attends over its own steps, so positions are its own, as a record run alone.
class RelAttention : public Layer {
 public:
  explicit RelAttention(BuildCtx& ctx) {
    const std::string p = ctx.prefix();
    if (!ctx.keys.has("num_heads"))
      throw WeightsError(ctx.where() + ": needs key 'num_heads' (the number of attention heads)");
    H_ = ctx.keys.get_int("num_heads", 1, 1);
    relative_ = ctx.keys.get_choice("pos", "relative", "relative|absolute") == "relative";
    ctx.keys.ignore("dropout_rate");
    ctx.keys.ignore("dropout");
    const std::vector<int64_t> s = ctx.shape_of(p + ".linear_q.weight");
    if (s.size() != 2 || s[0] != s[1])
      throw WeightsError(ctx.where() + ": parameter '" + p + ".linear_q.weight' has shape " + shape_str(s) +
                         ", expected [n_feat, n_feat]");
    d_ = ctx.keys.get_int("n_feat", s[1], 1);
    if (d_ % H_ != 0 || d_ % 2 != 0)
      throw WeightsError(ctx.where() + ": n_feat " + std::to_string(d_) +
                         " must be even and divisible by num_heads " + std::to_string(H_));
    dk_ = d_ / H_;
    ctx.expect_in_dim(d_, "n_feat");
    auto linear = [&](const std::string& n) {
      std::vector<float> b = ctx.has(n + ".bias") ? ctx.get(n + ".bias", {d_}) : std::vector<float>();
      return std::make_pair(ctx.get(n + ".weight", {d_, d_}), std::move(b));
    };
    std::vector<float> w, b;
    for (const char* n : {"linear_q", "linear_k", "linear_v"}) {
      auto [wi, bi] = linear(p + "." + n);
      if (bi.empty()) bi.assign(static_cast<size_t>(d_), 0.f);
      w.insert(w.end(), wi.begin(), wi.end());
      b.insert(b.end(), bi.begin(), bi.end());
    }
    const Precision prec = ctx.options.precision;
    qkv_ = Dense(std::move(w), std::move(b), 3 * d_, d_, prec);
    auto [wo, bo] = linear(p + ".linear_out");
    out_ = Dense(std::move(wo), std::move(bo), d_, d_, prec);
    auto [wp, bp] = linear(p + ".linear_pos");
    pos_ = Dense(std::move(wp), std::move(bp), d_, d_, Precision::kF32);
    u_ = ctx.get(p + ".pos_bias_u", {H_, dk_});
    v_ = ctx.get(p + ".pos_bias_v", {H_, dk_});
    const float c = static_cast<float>(-std::log(10000.0) / static_cast<double>(d_));
    for (int64_t i = 0; i < d_; i += 2) div_.push_back(std::exp(static_cast<float>(i) * c));
    in_dim = out_dim = d_;
    out_channels = 0;
  }

  std::string step_unsupported() const override {
    return where + " (relative positions) attends to the whole sequence";
  }

  void forward(Workspace& ws, Act& x, const Act*) const override {
    ws.to_layout(x, Layout::kNTC);
    Act y = ws.next(x, d_, Layout::kNTC);
    const int64_t rows = x.rows();
    float* qkv = ws.buf(kTmp0, static_cast<size_t>(rows * 3 * d_));
    float* ctx = ws.buf(kTmp1, static_cast<size_t>(rows * d_));
    qkv_.run(ws, x.data, qkv, rows);
    for (int64_t b = 0; b < x.B; ++b) {
      const int64_t L = x.len[b];
      attend_record(ws, qkv + b * x.T * 3 * d_, L, ctx + b * x.T * d_);
      if (L < x.T)
        std::memset(ctx + (b * x.T + L) * d_, 0, static_cast<size_t>((x.T - L) * d_) * sizeof(float));
    }
    out_.run(ws, ctx, y.data, rows);
    x = std::move(y);
  }

 private:
  // One record of L steps: qkv [L, 3d] in, ctx [L, d] out.
  void attend_record(Workspace& ws, const float* qkv, int64_t L, float* ctx) const {
    const int64_t M = relative_ ? 2 * L - 1 : L;  // position rows: L - 1 .. -(L - 1), or 0 .. L - 1
    float* pe = ws.buf(kTmp2, static_cast<size_t>(M * d_ + M * d_));
    float* P = pe + M * d_;
    for (int64_t m = 0; m < M; ++m) {
      const int64_t r = relative_ ? L - 1 - m : m;
      for (size_t k = 0; k < div_.size(); ++k) {
        // As ESPnet and NeMo compute it in float32: sin(-a) for the negative positions.
        const float a = static_cast<float>(r < 0 ? -r : r) * div_[k];
        pe[m * d_ + 2 * k] = std::sin(r < 0 ? -a : a);
        pe[m * d_ + 2 * k + 1] = std::cos(a);
      }
    }
    pos_.run(ws, pe, P, M);
    // Queries in blocks, as attend() takes them: n rows hold H * (L + M) scores each.
    const int64_t blk = query_block(L, H_ * (L + M));
    float* qu = ws.buf(kTmp3, static_cast<size_t>(2 * H_ * blk * dk_ + H_ * blk * (L + M)));
    float* qv = qu + H_ * blk * dk_;
    float* scores = qv + H_ * blk * dk_;
    float* bd = scores + H_ * blk * L;
    const float scale = 1.f / std::sqrt(static_cast<float>(dk_));
    const int64_t ld = 3 * d_;
    for (int64_t q0 = 0; q0 < L; q0 += blk) {
      const int64_t n = std::min(blk, L - q0);
      for (int64_t h = 0; h < H_; ++h)
        for (int64_t i = 0; i < n; ++i)
          for (int64_t c = 0; c < dk_; ++c) {
            const float q = qkv[(q0 + i) * ld + h * dk_ + c];
            qu[(h * n + i) * dk_ + c] = q + u_[h * dk_ + c];
            qv[(h * n + i) * dk_ + c] = q + v_[h * dk_ + c];
          }
      matmul3(ws, qu, {H_, n, dk_}, {n * dk_, dk_, 1}, qkv + d_, {H_, dk_, L}, {dk_, 1, ld}, scores,
              {H_, n, L}, {n * L, L, 1}, scale);
      matmul3(ws, qv, {H_, n, dk_}, {n * dk_, dk_, 1}, P, {H_, dk_, M}, {dk_, 1, d_}, bd, {H_, n, M},
              {n * M, M, 1}, scale);
      for (int64_t h = 0; h < H_; ++h)
        for (int64_t i = 0; i < n; ++i) {
          float* srow = scores + (h * n + i) * L;
          const int64_t row = q0 + i;
          const float* brow = bd + (h * n + i) * M + (relative_ ? L - 1 - row : 0);  // ESPnet's rel_shift
          for (int64_t j = 0; j < L; ++j) srow[j] += brow[j];
        }
      softmax_rows(ws, scores, H_ * n, L);
      matmul3(ws, scores, {H_, n, L}, {n * L, L, 1}, qkv + 2 * d_, {H_, L, dk_}, {dk_, ld, 1}, ctx + q0 * d_,
              {H_, n, dk_}, {dk_, d_, 1}, 1.f);
    }
  }

  int64_t d_ = 0, H_ = 1, dk_ = 0;
  bool relative_ = true;
  Dense qkv_, out_, pos_;
  std::vector<float> u_, v_, div_;
};

// ESPnet's and NeMo's RelPositionalEncoding on the input: x * sqrt(d_model) (xscale = false: x, as
// NeMo's xscaling = false); the position embeddings are made by each rel_multihead_attention.
class RelPositional : public Layer {
 public:
  explicit RelPositional(BuildCtx& ctx) {
    const int64_t d = ctx.keys.get_int("d_model", ctx.in_dim, 1);
    if (d < 0) throw WeightsError(ctx.where() + ": needs key 'd_model' (no earlier layer fixes the size)");
    ctx.expect_in_dim(d, "d_model");
    scale_ = ctx.keys.get_bool("xscale", true) ? std::sqrt(static_cast<float>(d)) : 1.f;
    ctx.keys.ignore("dropout_rate");
    ctx.keys.ignore("max_len");  // the positions are made for each record's length
    in_dim = out_dim = d;
  }
  void forward(Workspace&, Act& x, const Act*) const override {
    const int64_t n = x.rows() * x.C;
    for (int64_t i = 0; i < n; ++i) x.data[i] *= scale_;
  }

 private:
  float scale_ = 1.f;
};

}  // namespace

std::unique_ptr<Layer> make_rel_attention(BuildCtx& ctx) { return std::make_unique<RelAttention>(ctx); }
std::unique_ptr<Layer> make_rel_positional(BuildCtx& ctx) { return std::make_unique<RelPositional>(ctx); }

std::unique_ptr<Layer> make_multihead_attention(BuildCtx& ctx) {
  return std::make_unique<MultiheadAttention>(ctx);
}

std::unique_ptr<Layer> make_transformer(bool decoder, BuildCtx& ctx) {
  return std::make_unique<Transformer>(decoder, ctx);
}

ExpandedLayer expand_stack(const LayerConfig& cfg, const std::string& label, const SafetensorsFile& weights) {
  ExpandedLayer e;
  if (cfg.type != "transformer_encoder" && cfg.type != "transformer_decoder") {
    e.layers.push_back(cfg);
    return e;
  }
  KeyReader keys(cfg, label);
  e.where = keys.where();
  if (!keys.has("prefix"))
    throw WeightsError(e.where +
                       ": needs key 'prefix', the module's name in the state_dict (\"encoder\" for "
                       "encoder.layers.0.self_attn.in_proj_weight)");
  std::string p = keys.get_string("prefix", "");
  while (!p.empty() && p.back() == '.') p.pop_back();
  e.prefix = p;
  auto saved = [&](int64_t k) {
    return weights.find(p + ".layers." + std::to_string(k) + ".self_attn.in_proj_weight") != nullptr;
  };
  constexpr int64_t kMaxLayers = 1024;
  int64_t n = 0;
  while (n < kMaxLayers && saved(n)) ++n;
  n = keys.get_int("num_layers", std::max<int64_t>(n, 1), 1, kMaxLayers);
  const bool norm = keys.get_bool("norm", weights.find(p + ".norm.weight") != nullptr);
  const double eps =
      keys.get_float("norm_eps", keys.has("layer_norm_eps") ? keys.get_float("layer_norm_eps", 0) : 1e-5);
  const std::string type = cfg.type + "_layer";
  LayerConfig layer{type, {}};
  for (const auto& [k, v] : cfg.keys)
    if (k != "num_layers" && k != "norm" && k != "norm_eps" && k != "enable_nested_tensor" &&
        k != "mask_check")
      layer.keys.emplace_back(k, v);
  for (int64_t k = 0; k < n; ++k) {
    e.layers.push_back(layer);
    e.layers.back().set("prefix", ConfigValue::string(p + ".layers." + std::to_string(k)));
  }
  if (norm) {
    LayerConfig ln{"layer_norm", {}};
    ln.set("prefix", ConfigValue::string(p + ".norm"));
    ln.set("eps", ConfigValue::real(eps));
    e.layers.push_back(std::move(ln));
  }
  return e;
}

}  // namespace seqflow::onednn
