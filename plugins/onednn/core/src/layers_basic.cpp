// Row-wise and convolution layers: embedding, linear, conv1d, layer_norm, activations, (log-)softmax,
// dropout, positional encodings; the layer factory and the weight look-up with shape checks.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <unordered_map>

#include "onednn/layers.hpp"

namespace seqflow::onednn {

using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;

// ---- build context ----

BuildCtx::BuildCtx(const SafetensorsFile& weights, const ModelOptions& opts, KeyReader& k, int64_t in,
                   size_t i)
    : keys(k), options(opts), in_dim(in), index(i), weights_(weights) {}

std::string BuildCtx::prefix(bool required) {
  if (required && !keys.has("prefix"))
    throw WeightsError(where() +
                       ": needs key 'prefix', the layer's name in the PyTorch state_dict (\"rnn\" for "
                       "rnn.weight_ih_l0)");
  std::string p = keys.get_string("prefix", "");
  while (!p.empty() && p.back() == '.') p.pop_back();
  layer_prefix = p;
  return p;
}

bool BuildCtx::has(const std::string& name) const {
  return weights_.find(name) != nullptr || weight_norm(name).first != nullptr;
}

// torch.nn.utils.weight_norm stores `w` as `w_g` and `w_v`; its successor
// torch.nn.utils.parametrizations.weight_norm (PyTorch 2.1) as `parametrizations.w.original0` (g)
// and `.original1` (v), beside the module's other parameters.
std::pair<const StTensor*, const StTensor*> BuildCtx::weight_norm(const std::string& name) const {
  const StTensor* g = weights_.find(name + "_g");
  const StTensor* v = weights_.find(name + "_v");
  if (g != nullptr && v != nullptr) return {g, v};
  const size_t dot = name.rfind('.');
  if (dot == std::string::npos) return {nullptr, nullptr};
  const std::string p = name.substr(0, dot) + ".parametrizations." + name.substr(dot + 1) + ".original";
  g = weights_.find(p + "0");
  v = weights_.find(p + "1");
  if (g != nullptr && v != nullptr) return {g, v};
  return {nullptr, nullptr};
}

// w = v * (g / ||v||), the norm over every axis where g has size 1 (PyTorch's norm_except_dim).
std::vector<float> BuildCtx::fold_weight_norm(const std::string& name, const StTensor& g,
                                              const StTensor& v) const {
  const std::vector<int64_t>& vs = v.shape;
  std::vector<int64_t> gs = g.shape;
  if (g.numel() == 1) gs.assign(vs.size(), 1);
  bool ok = gs.size() == vs.size();
  for (size_t i = 0; ok && i < gs.size(); ++i) ok = gs[i] == 1 || gs[i] == vs[i];
  if (!ok)
    throw WeightsError(where() + ": weight norm of '" + name + "': '" + g.name + "' has shape " +
                       shape_str(g.shape) + ", which does not fit '" + v.name + "' " + shape_str(vs) +
                       " (each dim 1 or equal)");
  const std::vector<float> gv = weights_.to_f32(g), vv = weights_.to_f32(v);
  // Element i of v belongs to slice j of g: j's digits are i's on the axes that g keeps.
  auto slice = [&](size_t i) {
    size_t j = 0, gstride = 1;
    for (size_t a = vs.size(); a-- > 0;) {
      const size_t digit = i % static_cast<size_t>(vs[a]);
      i /= static_cast<size_t>(vs[a]);
      if (gs[a] != 1) j += digit * gstride;
      gstride *= static_cast<size_t>(gs[a]);
    }
    return j;
  };
  std::vector<double> sq(gv.size(), 0.0);
  for (size_t i = 0; i < vv.size(); ++i) sq[slice(i)] += static_cast<double>(vv[i]) * vv[i];
  std::vector<float> scale(gv.size());
  for (size_t j = 0; j < gv.size(); ++j) scale[j] = gv[j] / static_cast<float>(std::sqrt(sq[j]));
  std::vector<float> w(vv.size());
  for (size_t i = 0; i < vv.size(); ++i) w[i] = vv[i] * scale[slice(i)];
  return w;
}

std::vector<int64_t> BuildCtx::shape_of(const std::string& name) const {
  const StTensor* t = weights_.find(name);
  if (t == nullptr && weight_norm(name).second != nullptr) return weight_norm(name).second->shape;
  if (t == nullptr) {
    // List what the file has under the same prefix: the usual mistake is the prefix.
    std::string stem = name.substr(0, name.rfind('.') == std::string::npos ? 0 : name.rfind('.') + 1);
    std::vector<std::string> near;
    for (const StTensor& s : weights_.tensors())
      if (!stem.empty() && s.name.compare(0, stem.size(), stem) == 0) near.push_back(s.name);
    std::string msg = where() + ": parameter '" + name + "' is missing from " + weights_.label();
    if (!near.empty()) {
      msg += "; it has";
      for (size_t i = 0; i < near.size() && i < 8; ++i) msg += (i ? ", '" : " '") + near[i] + "'";
      if (near.size() > 8) msg += ", ...";
    } else {
      std::vector<std::string> all;
      for (const StTensor& s : weights_.tensors()) all.push_back(s.name);
      std::string guess = closest(name, all);
      msg += guess.empty() ? "; check the layer's prefix" : " (did you mean '" + guess + "'?)";
    }
    throw WeightsError(msg);
  }
  return t->shape;
}

std::vector<float> BuildCtx::get(const std::string& name, const std::vector<int64_t>& expected) const {
  std::vector<int64_t> shape = shape_of(name);
  bool ok = shape.size() == expected.size();
  for (size_t i = 0; ok && i < shape.size(); ++i) ok = expected[i] < 0 || expected[i] == shape[i];
  if (!ok) {
    std::string e = "[";
    for (size_t i = 0; i < expected.size(); ++i)
      e += (i ? ", " : "") + (expected[i] < 0 ? std::string("*") : std::to_string(expected[i]));
    throw WeightsError(where() + ": parameter '" + name + "' has shape " + shape_str(shape) + ", expected " +
                       e + "]");
  }
  const StTensor* t = weights_.find(name);
  std::vector<float> v;
  if (t != nullptr) {
    v = weights_.to_f32(*t);
    names_read.push_back(t->name);
  } else {
    const auto [g, w] = weight_norm(name);
    v = fold_weight_norm(name, *g, *w);
    names_read.push_back(g->name);
    names_read.push_back(w->name);
  }
  floats_read += static_cast<int64_t>(v.size());
  return v;
}

std::vector<float> BuildCtx::get_matrix(const std::string& name, int64_t rows, int64_t cols,
                                        bool transposed) const {
  if (!transposed) return get(name, {rows, cols});
  const std::vector<float> t = get(name, {cols, rows});
  std::vector<float> w(t.size());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) w[r * cols + c] = t[c * rows + r];
  return w;
}

void BuildCtx::expect_in_dim(int64_t dim, const std::string& what) const {
  if (in_dim >= 0 && in_dim != dim)
    throw WeightsError(where() + ": " + what + " is " + std::to_string(dim) +
                       ", but the previous layer outputs " + std::to_string(in_dim) + " features");
}

// ---- shared kernels ----

void apply_activation(Act1 a, float* x, int64_t n) {
  switch (a) {
    case Act1::kRelu:  // NaN stays NaN, as in PyTorch (a record's bad values are not hidden)
#pragma omp parallel for simd if (n > 262144)
      for (int64_t i = 0; i < n; ++i) x[i] = x[i] > 0.f || std::isnan(x[i]) ? x[i] : 0.f;
      break;
    case Act1::kGeluErf:
#pragma omp parallel for if (n > 65536)
      for (int64_t i = 0; i < n; ++i) {
        double v = x[i];
        x[i] = static_cast<float>(0.5 * v * (1.0 + std::erf(v * M_SQRT1_2)));
      }
      break;
    case Act1::kGeluTanh:
#pragma omp parallel for if (n > 65536)
      for (int64_t i = 0; i < n; ++i) {
        double v = x[i];
        x[i] = static_cast<float>(0.5 * v *
                                  (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (v + 0.044715 * v * v * v))));
      }
      break;
    case Act1::kSilu:
#pragma omp parallel for if (n > 65536)
      for (int64_t i = 0; i < n; ++i) {
        double v = x[i];
        x[i] = static_cast<float>(v / (1.0 + std::exp(-v)));
      }
      break;
    case Act1::kTanh:
#pragma omp parallel for if (n > 65536)
      for (int64_t i = 0; i < n; ++i) x[i] = std::tanh(x[i]);
      break;
    case Act1::kSigmoid:
#pragma omp parallel for if (n > 65536)
      for (int64_t i = 0; i < n; ++i)
        x[i] = static_cast<float>(1.0 / (1.0 + std::exp(-static_cast<double>(x[i]))));
      break;
  }
}

// oneDNN's layer normalization (JIT, AVX-512 here) rather than a loop: this build targets baseline
// x86-64, where a hand loop runs on SSE2 (a scalar double-precision version took 6% of case d).
void layer_norm_rows(Workspace& ws, const float* x, float* y, int64_t rows, int64_t C, const float* gamma,
                     const float* beta, float eps) {
  const bool affine = gamma != nullptr;
  uint32_t eps_bits = 0;
  std::memcpy(&eps_bits, &eps, sizeof(eps));
  const std::string key = prim_key("lnorm", 0, {rows, C, eps_bits, affine ? 1 : 0});
  const dnnl::memory::desc md({rows, C}, dt::f32, tag::ab);
  Workspace::Prim* p = ws.find(key);
  if (p == nullptr) {
    const auto flags = affine ? dnnl::normalization_flags::use_scale | dnnl::normalization_flags::use_shift
                              : dnnl::normalization_flags::none;
    dnnl::layer_normalization_forward::desc d(dnnl::prop_kind::forward_inference, md, eps, flags);
    dnnl::layer_normalization_forward::primitive_desc pd(d, base_attr(), cpu_engine());
    Workspace::Prim np;
    np.prim = dnnl::layer_normalization_forward(pd);
    np.scratch = pd.scratchpad_desc().get_size();
    p = &ws.put(key, std::move(np));
  }
  if (!affine) {
    ws.run(*p, {{DNNL_ARG_SRC, md, x}, {DNNL_ARG_DST, md, y}});
    return;
  }
  const dnnl::memory::desc cd({C}, dt::f32, tag::a);
  ws.run(*p, {{DNNL_ARG_SRC, md, x},
              {DNNL_ARG_DST, md, y},
              {DNNL_ARG_SCALE, cd, gamma},
              {DNNL_ARG_SHIFT, cd, beta}});
}

// ---- Dense ----

namespace {
dnnl::algorithm post_alg(Act1 a) {
  switch (a) {
    case Act1::kRelu: return dnnl::algorithm::eltwise_relu;
    case Act1::kGeluErf: return dnnl::algorithm::eltwise_gelu_erf;
    case Act1::kGeluTanh: return dnnl::algorithm::eltwise_gelu_tanh;
    case Act1::kSilu: return dnnl::algorithm::eltwise_swish;
    case Act1::kTanh: return dnnl::algorithm::eltwise_tanh;
    case Act1::kSigmoid: return dnnl::algorithm::eltwise_logistic;
  }
  return dnnl::algorithm::eltwise_relu;
}

dt weight_dt(Precision p) {
  return p == Precision::kInt8 ? dt::s8 : p == Precision::kBF16 ? dt::bf16 : dt::f32;
}

dnnl::inner_product_forward::primitive_desc dense_pd(int64_t rows, int64_t in, int64_t out, int64_t ldx,
                                                     int64_t ldy, Precision p, bool has_post, Act1 post,
                                                     const dnnl::memory::desc& w, bool accumulate = false) {
  dt src_dt = p == Precision::kF32 ? dt::f32 : weight_dt(p);
  dnnl::memory::desc src({rows, in}, src_dt,
                         src_dt == dt::f32 ? dnnl::memory::dims{ldx, 1} : dnnl::memory::dims{in, 1});
  dnnl::memory::desc dst({rows, out}, dt::f32, dnnl::memory::dims{ldy, 1});
  dnnl::memory::desc bias({out}, dt::f32, tag::a);
  dnnl::primitive_attr attr = base_attr();
  if (p == Precision::kInt8) attr.set_output_scales(2, {DNNL_RUNTIME_F32_VAL});
  dnnl::post_ops ops;
  if (has_post) ops.append_eltwise(1.f, post_alg(post), post == Act1::kSilu ? 1.f : 0.f, 0.f);
  if (accumulate) ops.append_sum(1.f);
  attr.set_post_ops(ops);
  dnnl::inner_product_forward::desc d(dnnl::prop_kind::forward_inference, src, w, bias, dst);
  return dnnl::inner_product_forward::primitive_desc(d, attr, cpu_engine());
}
}  // namespace

Dense::Dense(std::vector<float> w, std::vector<float> b, int64_t out, int64_t in, Precision precision,
             bool has_post, Act1 post)
    : in_(in), out_(out), precision_(precision), has_post_(has_post), post_(post) {
  if (b.empty()) b.assign(static_cast<size_t>(out), 0.f);
  dnnl::stream s(cpu_engine());
  // The primitive's preferred weight format for a typical batch: reordered once, here.
  dnnl::memory::desc any({out, in}, weight_dt(precision), tag::any);
  auto pd = dense_pd(64, in, out, in, out, precision, has_post, post, any);
  w_ = dnnl::memory(pd.weights_desc(), cpu_engine());
  if (precision == Precision::kInt8) {
    // Symmetric per-output-channel scales: w_q = round(w * 127 / max|w_row|).
    w_scales_.resize(static_cast<size_t>(out));
    std::vector<int8_t> q(w.size());
    for (int64_t o = 0; o < out; ++o) {
      float m = 0;
      for (int64_t i = 0; i < in; ++i) m = std::max(m, std::fabs(w[o * in + i]));
      float s = m > 0 ? 127.f / m : 1.f;
      w_scales_[o] = s;
      for (int64_t i = 0; i < in; ++i) q[o * in + i] = static_cast<int8_t>(std::lround(w[o * in + i] * s));
    }
    dnnl::memory plain({{out, in}, dt::s8, tag::ab}, cpu_engine(), q.data());
    dnnl::reorder(plain, w_).execute(s, plain, w_);
  } else {
    dnnl::memory plain({{out, in}, dt::f32, tag::ab}, cpu_engine(), w.data());
    dnnl::reorder(plain, w_).execute(s, plain, w_);
  }
  s.wait();
  b_ = dnnl::memory({{out}, dt::f32, tag::a}, cpu_engine());
  std::memcpy(b_.get_data_handle(), b.data(), b.size() * sizeof(float));
}

void Dense::run(Workspace& ws, const float* x, float* y, int64_t rows, int64_t ldx, int64_t ldy,
                bool accumulate) const {
  if (rows == 0) return;
  if (ldx == 0) ldx = in_;
  if (ldy == 0) ldy = out_;
  // oneDNN fixes an inner product's thread split when it is made: the key holds the thread count.
  std::string key = prim_key("dense", owner_, {rows, ldx, ldy, accumulate ? 1 : 0, omp_get_max_threads()});
  Workspace::Prim* p = ws.find(key);
  if (p == nullptr) {
    dnnl::memory::desc any({out_, in_}, weight_dt(precision_), tag::any);
    auto pd = dense_pd(rows, in_, out_, ldx, ldy, precision_, has_post_, post_, any, accumulate);
    Workspace::Prim np;
    np.prim = dnnl::inner_product_forward(pd);
    np.weights = pd.weights_desc();
    np.scratch = pd.scratchpad_desc().get_size();
    p = &ws.put(key, std::move(np));
  }
  dnnl::memory w = ws.weights_as(w_, p->weights);
  const dnnl::memory::desc dst({rows, out_}, dt::f32, dnnl::memory::dims{ldy, 1});
  if (precision_ == Precision::kF32) {
    const dnnl::memory::desc src({rows, in_}, dt::f32, dnnl::memory::dims{ldx, 1});
    ws.run(*p, {{DNNL_ARG_SRC, src, x}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_BIAS, b_}, {DNNL_ARG_DST, dst, y}});
    return;
  }
  std::unordered_map<int, dnnl::memory> args{
      {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DST, mem(dst, y)}, {DNNL_ARG_SCRATCHPAD, ws.scratchpad(p->scratch)}};
  // bf16 / int8: the activations are converted per call by a oneDNN reorder (int8 with one dynamic
  // scale per batch: 127 / max|x|).
  const size_t n = static_cast<size_t>(rows * in_);
  float* tmp = ws.buf(kTmp5, n / 2 + 64 + static_cast<size_t>(out_) * 2);
  float* scales = tmp;
  float* bias = scales + out_;
  void* q = bias + out_ + 16;
  const dt qdt = precision_ == Precision::kBF16 ? dt::bf16 : dt::s8;
  float sx = 1.f;
  if (precision_ == Precision::kInt8) {
    float m = 0;
#pragma omp parallel for reduction(max : m) if (n > 262144)
    for (int64_t r = 0; r < rows; ++r) {
      const float* xr = x + r * ldx;
#pragma omp simd reduction(max : m)
      for (int64_t i = 0; i < in_; ++i) m = std::max(m, std::fabs(xr[i]));
    }
    sx = m > 0 ? 127.f / m : 1.f;
  }
  const dnnl::memory::desc src_f32({rows, in_}, dt::f32, dnnl::memory::dims{ldx, 1});
  const dnnl::memory::desc src_q({rows, in_}, qdt, tag::ab);
  std::string qkey = prim_key("quantize", owner_, {rows, ldx});
  Workspace::Prim* qp = ws.find(qkey);
  if (qp == nullptr) {
    dnnl::primitive_attr a;
    if (precision_ == Precision::kInt8) a.set_output_scales(0, {DNNL_RUNTIME_F32_VAL});
    Workspace::Prim np;
    np.prim = dnnl::reorder(dnnl::reorder::primitive_desc(cpu_engine(), src_f32, cpu_engine(), src_q, a));
    qp = &ws.put(qkey, std::move(np));
  }
  std::unordered_map<int, dnnl::memory> qargs{{DNNL_ARG_FROM, mem(src_f32, x)}, {DNNL_ARG_TO, mem(src_q, q)}};
  if (precision_ == Precision::kInt8) qargs[DNNL_ARG_ATTR_OUTPUT_SCALES] = mem({{1}, dt::f32, tag::a}, &sx);
  qp->prim.execute(ws.stream(), qargs);
  args[DNNL_ARG_SRC] = mem(src_q, q);
  if (precision_ == Precision::kBF16) {
    args[DNNL_ARG_BIAS] = b_;
    p->prim.execute(ws.stream(), args);
    return;
  }
  const float* b = static_cast<const float*>(b_.get_data_handle());
  // oneDNN v2 applies the output scale after adding the bias: dst = scale * (acc + bias).
  for (int64_t o = 0; o < out_; ++o) {
    scales[o] = 1.f / (sx * w_scales_[o]);
    bias[o] = b[o] * sx * w_scales_[o];
  }
  args[DNNL_ARG_BIAS] = mem({{out_}, dt::f32, tag::a}, bias);
  args[DNNL_ARG_ATTR_OUTPUT_SCALES] = mem({{out_}, dt::f32, tag::a}, scales);
  p->prim.execute(ws.stream(), args);
}

// ---- Layer defaults for one-step mode: row-wise layers run their forward on the single step ----

void Layer::embed(const int64_t*, int64_t, float*, const std::string&) const {
  throw std::logic_error(where + " does not read token ids");
}
std::unique_ptr<LayerState> Layer::begin(Workspace&, int64_t, const Act*) const { return nullptr; }
void Layer::step(Workspace& ws, Act& x, LayerState*, int64_t) const { forward(ws, x, nullptr); }
void Layer::reorder(LayerState*, std::span<const uint32_t>) const {}

Act Layer::next_steps(Workspace& ws, const Act& x, int64_t C) const {
  Act y;
  y.layout = Layout::kNTC;
  y.B = x.B;
  y.T = out_length(x.T);
  y.C = C;
  for (int64_t l : x.len) y.len.push_back(out_length(l));
  y.slot = x.slot == kActA ? kActB : kActA;
  y.data = ws.buf(y.slot, static_cast<size_t>(y.B * y.T * y.C));
  return y;
}

std::vector<int64_t> conv_weight_shape(BuildCtx& ctx, const std::string& p, int spatial, int64_t& groups,
                                       int64_t& out_channels, int64_t& in_channels) {
  std::vector<int64_t> s = ctx.shape_of(p + ".weight");
  if (s.size() != static_cast<size_t>(2 + spatial))
    throw WeightsError(ctx.where() + ": parameter '" + p + ".weight' has shape " + shape_str(s) +
                       ", expected [out_channels, in_channels / groups, " +
                       (spatial == 1 ? "kernel_size]" : "kernel_h, kernel_w]"));
  groups = ctx.keys.get_int("groups", 1, 1);
  out_channels = ctx.keys.get_int("out_channels", s[0], 1);
  in_channels = ctx.keys.get_int("in_channels", s[1] * groups, 1);
  if (in_channels % groups != 0 || out_channels % groups != 0)
    throw WeightsError(ctx.where() + ": in_channels " + std::to_string(in_channels) + " and out_channels " +
                       std::to_string(out_channels) + " must both be divisible by groups " +
                       std::to_string(groups));
  return s;
}

void read_time_dim(BuildCtx& ctx, std::initializer_list<std::array<int64_t, 2>*> pairs, bool& time_is_width) {
  const int64_t d = ctx.keys.get_int("time_dim", 2, -2, 3);
  if (d == 0 || d == 1)
    throw WeightsError(ctx.where() +
                       ": time_dim must be 2 (the image's height) or 3 (its width), or -2 or -1: "
                       "dims 0 and 1 of [N, C, H, W] are the batch and the channels");
  time_is_width = d == 3 || d == -1;
  if (time_is_width)
    for (std::array<int64_t, 2>* p : pairs) std::swap((*p)[0], (*p)[1]);
}

FeatureNorm read_feature_norm(BuildCtx& ctx, double default_eps) {
  FeatureNorm f;
  f.affine = ctx.keys.get_bool("elementwise_affine", true);
  f.eps = static_cast<float>(ctx.keys.get_float("eps", default_eps));
  if (!(f.eps >= 0.f)) throw WeightsError(ctx.where() + ": eps must be >= 0");
  int64_t n = ctx.keys.get_int("normalized_shape", -1, 1);
  f.prefix = ctx.prefix(f.affine);
  if (f.affine) {
    const std::vector<int64_t> s = ctx.shape_of(f.prefix + ".weight");
    if (n < 0 && s.size() == 1) n = s[0];
    if (n < 0) n = ctx.in_dim;
    f.weight = ctx.get(f.prefix + ".weight", {n});
    n = static_cast<int64_t>(f.weight.size());
  } else if (n < 0) {
    n = ctx.in_dim;
    if (n < 0)
      throw WeightsError(ctx.where() + ": needs key 'normalized_shape' (no earlier layer fixes the size)");
  }
  ctx.expect_in_dim(n, "normalized_shape");
  f.n = n;
  return f;
}

namespace {

// ---- embedding ----

class Embedding : public Layer {
 public:
  explicit Embedding(BuildCtx& ctx) {
    std::string p = ctx.prefix();
    if (ctx.index != 0)
      throw WeightsError(ctx.where() + ": an embedding must be the first layer (it reads token ids)");
    std::vector<int64_t> s = ctx.shape_of(p + ".weight");
    if (s.size() != 2)
      throw WeightsError(ctx.where() + ": parameter '" + p + ".weight' has shape " + shape_str(s) +
                         ", expected [num_embeddings, embedding_dim]");
    num_ = ctx.keys.get_int("num_embeddings", s[0], 1);
    dim_ = ctx.keys.get_int("embedding_dim", s[1], 1);
    ctx.keys.ignore("padding_idx");  // affects training only
    ctx.keys.ignore("scale_grad_by_freq");
    ctx.keys.ignore("sparse");
    double norm_type = ctx.keys.get_float("norm_type", 2.0);
    w_ = ctx.get(p + ".weight", {num_, dim_});
    if (ctx.keys.has("max_norm")) {
      double max_norm = ctx.keys.get_float("max_norm", 0);
      auto num = [](double v) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%g", v);
        return std::string(buf);
      };
      if (!(max_norm >= 0) || std::isinf(max_norm))
        throw WeightsError(ctx.where() + ": max_norm must be a finite number >= 0, got " + num(max_norm));
      if (!(norm_type > 0))
        throw WeightsError(ctx.where() + ": norm_type must be > 0 (inf for the max norm), got " +
                           num(norm_type));
      renorm_rows(max_norm, norm_type);
    }
    // Models that scale what they look up (fairseq's embed_scale = sqrt(d), ESM-2's token dropout
    // factor 0.88): the same float product, made once on the table.
    if (ctx.keys.has("scale")) {
      const float scale = static_cast<float>(ctx.keys.get_float("scale", 1.0));
      for (float& v : w_) v *= scale;
    }
    out_dim = dim_;
    out_channels = 0;
  }
  bool takes_tokens() const override { return true; }
  int64_t vocab_size() const override { return num_; }
  // The model gathers rows itself (it sees the token ids); nothing to do on activations.
  void forward(Workspace&, Act&, const Act*) const override {}
  void embed(const int64_t* ids, int64_t n, float* out, const std::string& what) const override {
    for (int64_t i = 0; i < n; ++i) {
      if (ids[i] < 0 || ids[i] >= num_)
        throw std::runtime_error(what + " step " + std::to_string(i) + ": token id " +
                                 std::to_string(ids[i]) + " is outside the embedding's range [0, " +
                                 std::to_string(num_) + ")");
      std::memcpy(out + i * dim_, w_.data() + ids[i] * dim_, static_cast<size_t>(dim_) * sizeof(float));
    }
  }

 private:
  // PyTorch renormalises, even in eval mode, each looked-up row whose norm exceeds max_norm, in place
  // (torch.embedding_renorm_: row *= max_norm / (norm + 1e-7)); a renormalised row stays below
  // max_norm, so doing every row once here gives the same rows for any lookup order.
  void renorm_rows(double max_norm, double p) {
    for (int64_t r = 0; r < num_; ++r) {
      float* row = w_.data() + r * dim_;
      double norm = 0;
      for (int64_t j = 0; j < dim_; ++j) {
        double a = std::fabs(static_cast<double>(row[j]));
        norm = std::isinf(p) ? std::max(norm, a) : norm + (p == 2 ? a * a : p == 1 ? a : std::pow(a, p));
      }
      if (!std::isinf(p)) norm = p == 2 ? std::sqrt(norm) : p == 1 ? norm : std::pow(norm, 1 / p);
      if (norm <= max_norm) continue;
      auto scale = static_cast<float>(max_norm / (norm + 1e-7));
      for (int64_t j = 0; j < dim_; ++j) row[j] *= scale;
    }
  }

  int64_t num_ = 0, dim_ = 0;
  std::vector<float> w_;
};

// ---- linear ----

class Linear : public Layer {
 public:
  explicit Linear(BuildCtx& ctx) {
    std::string p = ctx.prefix();
    // transposed: the weight is stored [in_features, out_features] (GPT-2's Conv1D).
    const bool transposed = ctx.keys.get_bool("transposed", false);
    std::vector<int64_t> s = ctx.shape_of(p + ".weight");
    if (s.size() != 2)
      throw WeightsError(ctx.where() + ": parameter '" + p + ".weight' has shape " + shape_str(s) +
                         ", expected " +
                         (transposed ? "[in_features, out_features]" : "[out_features, in_features]"));
    if (transposed) std::swap(s[0], s[1]);
    int64_t in = ctx.keys.get_int("in_features", s[1], 1);
    int64_t out = ctx.keys.get_int("out_features", s[0], 1);
    ctx.expect_in_dim(in, "in_features");
    bool bias = ctx.keys.get_bool("bias", ctx.has(p + ".bias"));
    std::vector<float> w = ctx.get_matrix(p + ".weight", out, in, transposed);
    std::vector<float> b = bias ? ctx.get(p + ".bias", {out}) : std::vector<float>();
    dense_ = Dense(std::move(w), std::move(b), out, in, ctx.options.precision);
    in_dim = in;
    out_dim = out;
    out_channels = 0;
  }
  void forward(Workspace& ws, Act& x, const Act*) const override {
    Act y = ws.next(x, out_dim, x.layout);
    dense_.run(ws, x.data, y.data, x.rows());
    x = std::move(y);
  }

 private:
  Dense dense_;
};

// ---- conv1d ----

class Conv1d : public Layer {
 public:
  explicit Conv1d(BuildCtx& ctx) {
    std::string p = ctx.prefix();
    std::vector<int64_t> s = conv_weight_shape(ctx, p, 1, groups_, oc_, ic_);
    k_ = ctx.keys.get_int("kernel_size", s[2], 1, kMaxWindow);
    stride_ = ctx.keys.get_int("stride", 1, 1, kMaxWindow);
    dilation_ = ctx.keys.get_int("dilation", 1, 1, kMaxWindow);
    const int64_t span = dilation_ * (k_ - 1);
    if (const ConfigValue* pad = ctx.keys.get_raw("padding")) {
      const bool one = pad->kind == ConfigValue::Kind::kInts && pad->ints.size() == 1;  // PyTorch's (p,)
      const bool two = pad->kind == ConfigValue::Kind::kInts && pad->ints.size() == 2;  // [left, right]
      const int64_t p = one ? pad->ints[0] : pad->i;
      auto fits = [](int64_t v) { return v >= 0 && v <= kMaxWindow; };
      if ((pad->kind == ConfigValue::Kind::kInt || one) && fits(p)) {
        pad_l_ = pad_r_ = p;
      } else if (two && fits(pad->ints[0]) && fits(pad->ints[1])) {
        pad_l_ = pad->ints[0];
        pad_r_ = pad->ints[1];
      } else if (pad->kind == ConfigValue::Kind::kString && pad->s == "valid") {
        pad_l_ = pad_r_ = 0;
      } else if (pad->kind == ConfigValue::Kind::kString && pad->s == "same") {
        if (stride_ != 1)
          throw WeightsError(ctx.where() + ": padding = \"same\" needs stride 1 (as in PyTorch)");
        pad_l_ = span / 2;  // PyTorch puts the odd extra step on the right
        pad_r_ = span - pad_l_;
      } else {
        throw WeightsError(
            ctx.where() +
            ": key 'padding' must be an integer in [0, 16777216], a list [left, right] of them, "
            "\"same\" or \"valid\"");
      }
    }
    const std::string mode = ctx.keys.get_choice("padding_mode", "zeros", "zeros|reflect|replicate|circular");
    mode_ = mode == "zeros"       ? Mode::kZeros
            : mode == "reflect"   ? Mode::kReflect
            : mode == "replicate" ? Mode::kReplicate
                                  : Mode::kCircular;
    if (pad_l_ == 0 && pad_r_ == 0) mode_ = Mode::kZeros;
    bool bias = ctx.keys.get_bool("bias", ctx.has(p + ".bias"));
    ctx.expect_in_dim(ic_, "in_channels");
    w_ = ctx.get(p + ".weight", {oc_, ic_ / groups_, k_});
    b_ = bias ? ctx.get(p + ".bias", {oc_}) : std::vector<float>(static_cast<size_t>(oc_), 0.f);
    w_mem_ = mem(groups_ == 1
                     ? dnnl::memory::desc({oc_, ic_, k_}, dt::f32, tag::oiw)
                     : dnnl::memory::desc({groups_, oc_ / groups_, ic_ / groups_, k_}, dt::f32, tag::goiw),
                 w_.data());
    in_dim = ic_;
    out_dim = oc_;
    out_channels = 0;
  }
  int64_t out_length(int64_t len) const override {
    // As PyTorch's F.pad: reflect needs more steps than either side's padding, circular as many.
    const int64_t most = std::max(pad_l_, pad_r_);
    if ((mode_ == Mode::kReflect && len <= most) || (mode_ == Mode::kCircular && len < most)) return 0;
    int64_t span = dilation_ * (k_ - 1);
    int64_t n = len + pad_l_ + pad_r_ - span - 1;
    return n < 0 ? 0 : n / stride_ + 1;
  }
  std::string step_unsupported() const override { return where + " (conv1d) looks at several steps at once"; }

  void forward(Workspace& ws, Act& x, const Act*) const override {
    // Padding steps read as zeros (Act), as past the end of a sequence run alone.
    ws.to_layout(x, Layout::kNTC);
    const int64_t T_out = out_length(x.T);
    // Other padding modes: each record padded on its own ends into a copy, convolved unpadded.
    const bool copy = mode_ != Mode::kZeros;
    const int64_t T_in = copy ? x.T + pad_l_ + pad_r_ : x.T;
    const float* src_data = copy ? pad_copy(ws, x) : x.data;
    Act y = next_steps(ws, x, oc_);

    std::string key = prim_key("conv", owner_, {x.B, T_in});
    dnnl::memory::desc src({x.B, ic_, T_in}, dt::f32, tag::nwc);
    dnnl::memory::desc dst({x.B, oc_, T_out}, dt::f32, tag::nwc);
    Workspace::Prim* p = ws.find(key);
    if (p == nullptr) {
      dnnl::memory::desc wany =
          groups_ == 1 ? dnnl::memory::desc({oc_, ic_, k_}, dt::f32, tag::any)
                       : dnnl::memory::desc({groups_, oc_ / groups_, ic_ / groups_, k_}, dt::f32, tag::any);
      dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference,
                                        dnnl::algorithm::convolution_direct, src, wany,
                                        dnnl::memory::desc({oc_}, dt::f32, tag::a), dst, {stride_},
                                        {dilation_ - 1}, {copy ? 0 : pad_l_}, {copy ? 0 : pad_r_});
      dnnl::convolution_forward::primitive_desc pd(d, base_attr(), cpu_engine());
      Workspace::Prim np;
      np.prim = dnnl::convolution_forward(pd);
      np.weights = pd.weights_desc();
      np.scratch = pd.scratchpad_desc().get_size();
      p = &ws.put(key, std::move(np));
    }
    dnnl::memory w = ws.weights_as(w_mem_, p->weights);
    p->prim.execute(ws.stream(), {{DNNL_ARG_SRC, mem(src, const_cast<float*>(src_data))},
                                  {DNNL_ARG_WEIGHTS, w},
                                  {DNNL_ARG_BIAS, mem({{oc_}, dt::f32, tag::a}, b_.data())},
                                  {DNNL_ARG_DST, mem(dst, y.data)},
                                  {DNNL_ARG_SCRATCHPAD, ws.scratchpad(p->scratch)}});
    x = std::move(y);
  }

 private:
  enum class Mode { kZeros, kReflect, kReplicate, kCircular };

  // [B, pad_l + T + pad_r, C]: record b's steps -pad_l .. len + pad_r - 1 as `mode_` maps them into
  // 0 .. len - 1 (out_length() has checked len against the padding), zeros after.
  const float* pad_copy(Workspace& ws, const Act& x) const {
    const int64_t Tp = x.T + pad_l_ + pad_r_, C = x.C;
    float* out = ws.buf(kTmp0, static_cast<size_t>(x.B * Tp * C));
    for (int64_t b = 0; b < x.B; ++b) {
      const int64_t L = x.len[b];
      for (int64_t t = 0; t < Tp; ++t) {
        float* dst = out + (b * Tp + t) * C;
        int64_t i = t - pad_l_;
        if (i >= L + pad_r_) {
          std::memset(dst, 0, static_cast<size_t>(C) * sizeof(float));
          continue;
        }
        if (mode_ == Mode::kReflect) i = i < 0 ? -i : i >= L ? 2 * (L - 1) - i : i;
        else if (mode_ == Mode::kReplicate) i = std::clamp<int64_t>(i, 0, L - 1);
        else i = (i % L + L) % L;
        std::memcpy(dst, x.row(b, i), static_cast<size_t>(C) * sizeof(float));
      }
    }
    return out;
  }

  Mode mode_ = Mode::kZeros;
  int64_t ic_ = 0, oc_ = 0, k_ = 1, stride_ = 1, dilation_ = 1, groups_ = 1, pad_l_ = 0, pad_r_ = 0;
  std::vector<float> w_, b_;
  dnnl::memory w_mem_;               // over w_, in PyTorch's layout
  uint64_t owner_ = new_owner_id();  // its primitives' cache key
};

// ---- layer_norm ----

class LayerNorm : public Layer {
 public:
  explicit LayerNorm(BuildCtx& ctx) {
    FeatureNorm f = read_feature_norm(ctx, 1e-5);
    affine_ = f.affine;
    eps_ = f.eps;
    const bool bias = ctx.keys.get_bool("bias", !affine_ || ctx.has(f.prefix + ".bias"));
    if (affine_) {
      gamma_ = std::move(f.weight);
      // PyTorch 2.1's bias = false: a zero shift adds nothing (x * g + 0 is x * g exactly).
      beta_ = bias ? ctx.get(f.prefix + ".bias", {f.n}) : std::vector<float>(static_cast<size_t>(f.n), 0.f);
    }
    in_dim = out_dim = f.n;
  }
  void forward(Workspace& ws, Act& x, const Act*) const override {
    layer_norm_rows(ws, x.data, x.data, x.rows(), x.C, affine_ ? gamma_.data() : nullptr,
                    affine_ ? beta_.data() : nullptr, eps_);
  }

 private:
  bool affine_ = true;
  float eps_ = 1e-5f;
  std::vector<float> gamma_, beta_;
};

// ---- activations, softmax, dropout ----

class Activation : public Layer {
 public:
  Activation(Act1 a) : a_(a) {}
  void forward(Workspace&, Act& x, const Act*) const override {
    apply_activation(a_, x.data, x.rows() * x.C);
  }

 private:
  Act1 a_;
};

class Softmax : public Layer {
 public:
  explicit Softmax(bool log) : log_(log) {}
  void forward(Workspace&, Act& x, const Act*) const override {
    const int64_t C = x.C;
#pragma omp parallel for if (x.rows() * C > 65536)
    for (int64_t r = 0; r < x.rows(); ++r) {
      float* v = x.data + r * C;
      float m = v[0];
      for (int64_t c = 1; c < C; ++c) m = std::max(m, v[c]);
      double sum = 0;
      for (int64_t c = 0; c < C; ++c) sum += std::exp(static_cast<double>(v[c]) - m);
      if (log_) {
        const double lse = m + std::log(sum);
        for (int64_t c = 0; c < C; ++c) v[c] = static_cast<float>(v[c] - lse);
      } else {
        for (int64_t c = 0; c < C; ++c)
          v[c] = static_cast<float>(std::exp(static_cast<double>(v[c]) - m) / sum);
      }
    }
  }

 private:
  bool log_;
};

class Identity : public Layer {
 public:
  void forward(Workspace&, Act&, const Act*) const override {}
};

// ---- positional encodings ----

class Positional : public Layer {
 public:
  explicit Positional(BuildCtx& ctx) {
    kind_ = ctx.keys.get_choice("kind", "sinusoidal", "sinusoidal|learned");
    scale_ = static_cast<float>(ctx.keys.get_float("scale", 1.0));
    if (kind_ == "learned") {
      std::string p = ctx.prefix();
      // An nn.Embedding ("pos" -> pos.weight) or a bare nn.Parameter named by the prefix itself.
      std::string name = ctx.has(p) ? p : p + ".weight";
      std::vector<int64_t> s = ctx.shape_of(name);
      if (s.size() == 3 && s[0] == 1) s.erase(s.begin());
      if (s.size() != 2)
        throw WeightsError(ctx.where() + ": parameter '" + name + "' has shape " +
                           shape_str(ctx.shape_of(name)) +
                           ", expected [max_len, d_model] or [1, max_len, d_model]");
      max_len_ = ctx.keys.get_int("max_len", s[0], 1);
      d_ = s[1];
      ctx.expect_in_dim(d_, "d_model");
      std::vector<int64_t> expected = ctx.shape_of(name).size() == 3 ? std::vector<int64_t>{1, max_len_, d_}
                                                                     : std::vector<int64_t>{max_len_, d_};
      pe_ = ctx.get(name, expected);
    } else {
      max_len_ = ctx.keys.get_int("max_len", 5000, 1);
      d_ = ctx.keys.get_int("d_model", ctx.in_dim, 1);
      if (d_ < 0) throw WeightsError(ctx.where() + ": needs key 'd_model' (no earlier layer fixes the size)");
      ctx.expect_in_dim(d_, "d_model");
      if (d_ % 2 != 0)
        throw WeightsError(ctx.where() + ": sinusoidal encodings need an even d_model, got " +
                           std::to_string(d_));
      // The float32 arithmetic of the PyTorch tutorial's PositionalEncoding, so that large positions agree.
      const float c = static_cast<float>(-std::log(10000.0) / static_cast<double>(d_));
      for (int64_t i = 0; i < d_; i += 2) div_.push_back(std::exp(static_cast<float>(i) * c));
      // A table for the first positions only: max_len = 100000 at d_model 1024 would be 400 MB.
      const int64_t rows = std::min<int64_t>(max_len_, kTableRows);
      pe_.assign(static_cast<size_t>(rows * d_), 0.f);
      for (int64_t pos = 0; pos < rows; ++pos) sinusoid(pos, pe_.data() + pos * d_, 1.f);
    }
    // RoBERTa and ESM count positions from padding_idx + 1: the first step takes row `offset`.
    offset_ = ctx.keys.get_int("offset", 0, 0, kMaxWindow);
    if (offset_ >= max_len_)
      throw WeightsError(ctx.where() + ": offset " + std::to_string(offset_) +
                         " leaves no position below max_len " + std::to_string(max_len_));
    ctx.keys.ignore("dropout");
    in_dim = out_dim = d_;
  }
  std::string length_error(int64_t len) const override {
    return len + offset_ > max_len_
               ? where + ": longer than max_len " + std::to_string(max_len_) +
                     (offset_ > 0 ? " (positions from " + std::to_string(offset_) + ")" : "")
               : "";
  }
  void forward(Workspace&, Act& x, const Act*) const override {
    // The records' lengths, not the batch's: Model::run may pad a batch past its longest record.
    const int64_t longest = x.len.empty() ? 0 : *std::max_element(x.len.begin(), x.len.end());
    if (longest + offset_ > max_len_)
      throw std::runtime_error(where + ": sequence of " + std::to_string(longest) +
                               " steps is longer than max_len " + std::to_string(max_len_));
    for (int64_t b = 0; b < x.B; ++b)
      for (int64_t t = 0; t < x.len[b]; ++t) add(x.row(b, t), t + offset_);
  }
  void step(Workspace&, Act& x, LayerState*, int64_t pos) const override {
    if (pos + offset_ >= max_len_)
      throw std::runtime_error(where + ": step " + std::to_string(pos) + " is past max_len " +
                               std::to_string(max_len_));
    for (int64_t b = 0; b < x.B; ++b) add(x.row(b, 0), pos + offset_);
  }

 private:
  static constexpr int64_t kTableRows = 4096;

  // Sinusoidal position `pos` added to `out` (x * scale + pe with scale = 1 on a zero row: the table).
  void sinusoid(int64_t pos, float* out, float scale) const {
    for (size_t k = 0; k < div_.size(); ++k) {
      const float a = static_cast<float>(pos) * div_[k];
      out[2 * k] = out[2 * k] * scale + std::sin(a);
      out[2 * k + 1] = out[2 * k + 1] * scale + std::cos(a);
    }
  }
  void add(float* r, int64_t t) const {
    if (static_cast<size_t>((t + 1) * d_) > pe_.size()) return sinusoid(t, r, scale_);  // past the table
    const float* pe = pe_.data() + t * d_;
    for (int64_t c = 0; c < d_; ++c) r[c] = r[c] * scale_ + pe[c];
  }
  std::string kind_;
  float scale_ = 1.f;
  int64_t max_len_ = 0, d_ = 0, offset_ = 0;
  std::vector<float> pe_;   // learned: [max_len, d]; sinusoidal: the first kTableRows positions
  std::vector<float> div_;  // sinusoidal: the frequency of each sin/cos pair
};

// BERT's token type (segment) embedding for records of one segment: row `token_type` of the table
// added to every step, as BertEmbeddings does with token_type_ids of zeros.
class TokenType : public Layer {
 public:
  explicit TokenType(BuildCtx& ctx) {
    const std::string p = ctx.prefix();
    const std::vector<int64_t> s = ctx.shape_of(p + ".weight");
    if (s.size() != 2)
      throw WeightsError(ctx.where() + ": parameter '" + p + ".weight' has shape " + shape_str(s) +
                         ", expected [type_vocab_size, hidden_size]");
    const int64_t type = ctx.keys.get_int("token_type", 0, 0, s[0] - 1);
    ctx.expect_in_dim(s[1], "hidden_size");
    const std::vector<float> w = ctx.get(p + ".weight", s);
    row_.assign(w.begin() + type * s[1], w.begin() + (type + 1) * s[1]);
    in_dim = out_dim = s[1];
  }
  void forward(Workspace&, Act& x, const Act*) const override {
    for (int64_t b = 0; b < x.B; ++b)
      for (int64_t t = 0; t < x.len[b]; ++t) {
        float* r = x.row(b, t);
        for (size_t c = 0; c < row_.size(); ++c) r[c] += row_[c];
      }
  }

 private:
  std::vector<float> row_;
};

}  // namespace

std::unique_ptr<Layer> make_token_type(BuildCtx& ctx) { return std::make_unique<TokenType>(ctx); }

std::unique_ptr<Layer> make_embedding(BuildCtx& ctx) { return std::make_unique<Embedding>(ctx); }
std::unique_ptr<Layer> make_linear(BuildCtx& ctx) { return std::make_unique<Linear>(ctx); }
std::unique_ptr<Layer> make_conv1d(BuildCtx& ctx) { return std::make_unique<Conv1d>(ctx); }
std::unique_ptr<Layer> make_layer_norm(BuildCtx& ctx) { return std::make_unique<LayerNorm>(ctx); }
std::unique_ptr<Layer> make_positional(BuildCtx& ctx) { return std::make_unique<Positional>(ctx); }

std::unique_ptr<Layer> make_activation(const std::string& type, BuildCtx& ctx) {
  if (type == "dropout") {
    ctx.keys.ignore("p");
    ctx.keys.ignore("inplace");
    return std::make_unique<Identity>();
  }
  if (type == "softmax" || type == "log_softmax") {
    int64_t dim = ctx.keys.get_int("dim", -1);
    if (dim != -1 && dim != 1 && dim != 2)
      throw WeightsError(ctx.where() +
                         ": only the feature dim is supported (dim = -1, or 2 / 1 for batched / "
                         "unbatched [T, C] inputs), got " +
                         std::to_string(dim));
    return std::make_unique<Softmax>(type == "log_softmax");
  }
  ctx.keys.ignore("inplace");
  if (type == "relu") return std::make_unique<Activation>(Act1::kRelu);
  if (type == "gelu") {
    std::string approx = ctx.keys.get_choice("approximate", "none", "none|tanh");
    return std::make_unique<Activation>(approx == "tanh" ? Act1::kGeluTanh : Act1::kGeluErf);
  }
  if (type == "silu") return std::make_unique<Activation>(Act1::kSilu);
  if (type == "tanh") return std::make_unique<Activation>(Act1::kTanh);
  return std::make_unique<Activation>(Act1::kSigmoid);
}

const std::vector<std::string>& layer_types() {
  static const std::vector<std::string> t = {"embedding",
                                             "linear",
                                             "conv1d",
                                             "conv2d",
                                             "layer_norm",
                                             "batch_norm",
                                             "batch_norm2d",
                                             "group_norm",
                                             "max_pool1d",
                                             "avg_pool1d",
                                             "adaptive_max_pool1d",
                                             "adaptive_avg_pool1d",
                                             "flatten",
                                             "flip",
                                             "max_pool2d",
                                             "avg_pool2d",
                                             "leaky_relu",
                                             "elu",
                                             "hardtanh",
                                             "relu6",
                                             "softplus",
                                             "mish",
                                             "prelu",
                                             "glu",
                                             "identity",
                                             "lstm",
                                             "gru",
                                             "rnn",
                                             "transformer_encoder_layer",
                                             "transformer_decoder_layer",
                                             "transformer_encoder",
                                             "transformer_decoder",
                                             "residual",
                                             "multihead_attention",
                                             "rel_multihead_attention",
                                             "rel_positional_encoding",
                                             "token_type_embedding",
                                             "rms_norm",
                                             "gated",
                                             "windows",
                                             "magnitude",
                                             "positional_encoding",
                                             "relu",
                                             "gelu",
                                             "silu",
                                             "tanh",
                                             "sigmoid",
                                             "softmax",
                                             "log_softmax",
                                             "dropout"};
  return t;
}

std::unique_ptr<Layer> make_layer(const LayerConfig& cfg, BuildCtx& ctx) {
  const std::string& t = cfg.type;
  std::unique_ptr<Layer> l;
  if (t == "embedding") l = make_embedding(ctx);
  else if (t == "linear") l = make_linear(ctx);
  else if (t == "conv1d") l = make_conv1d(ctx);
  else if (t == "conv2d") l = make_conv2d(ctx);
  else if (t == "layer_norm") l = make_layer_norm(ctx);
  else if (t == "batch_norm" || t == "batch_norm2d") l = make_batch_norm(t == "batch_norm2d", ctx);
  else if (t == "group_norm") l = make_group_norm(ctx);
  else if (t == "max_pool1d" || t == "avg_pool1d" || t == "adaptive_max_pool1d" || t == "adaptive_avg_pool1d")
    l = make_pool(t, ctx);
  else if (t == "flatten") l = make_flatten(ctx);
  else if (t == "flip") l = make_flip();
  else if (t == "max_pool2d" || t == "avg_pool2d") l = make_pool2d(t, ctx);
  else if (t == "leaky_relu" || t == "elu" || t == "hardtanh" || t == "relu6" || t == "softplus" ||
           t == "mish" || t == "prelu" || t == "glu" || t == "identity")
    l = make_pointwise(t, ctx);
  else if (t == "lstm" || t == "gru" || t == "rnn") l = make_rnn(t, ctx);
  else if (t == "transformer_encoder_layer") l = make_transformer(false, ctx);
  else if (t == "transformer_decoder_layer") l = make_transformer(true, ctx);
  else if (t == "positional_encoding") l = make_positional(ctx);
  else if (t == "multihead_attention") l = make_multihead_attention(ctx);
  else if (t == "rel_multihead_attention") l = make_rel_attention(ctx);
  else if (t == "rel_positional_encoding") l = make_rel_positional(ctx);
  else if (t == "token_type_embedding") l = make_token_type(ctx);
  else if (t == "rms_norm") l = make_rms_norm(ctx);
  else if (t == "residual" || t == "gated") l = make_residual(t == "gated", ctx);
  else if (t == "windows") l = make_windows(ctx);
  else if (t == "magnitude") l = make_magnitude(ctx);
  else if (t == "relu" || t == "gelu" || t == "silu" || t == "tanh" || t == "sigmoid" || t == "softmax" ||
           t == "log_softmax" || t == "dropout")
    l = make_activation(t, ctx);
  else {
    std::string guess = closest(t, layer_types());
    std::string msg = ctx.keys.label() + ": unknown type '" + t + "'";
    if (!guess.empty()) msg += " (did you mean '" + guess + "'?)";
    std::string list;
    for (const std::string& n : layer_types()) list += (list.empty() ? "" : ", ") + n;
    throw WeightsError(msg + "; known types: " + list);
  }
  ctx.keys.finish();
  l->where = ctx.where();
  if (l->in_dim < 0) l->in_dim = ctx.in_dim;
  if (l->out_dim < 0 && !l->needs_output_binding()) l->out_dim = l->in_dim;
  return l;
}

}  // namespace seqflow::onednn
