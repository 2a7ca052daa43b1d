// The activations beyond relu, gelu, silu, tanh and sigmoid (which Dense can fuse, layers_basic.cpp):
// nn.LeakyReLU, nn.ELU, nn.Hardtanh, nn.ReLU6, nn.Softplus, nn.Mish, nn.PReLU (weights per feature
// or one), nn.GLU over the features and nn.Identity. Each value is computed in double and rounded
// once, so results are PyTorch's float ones or within an ulp of them.
#include <cmath>
#include <string>
#include <vector>

#include "onednn/layers.hpp"

namespace seqflow::onednn {
namespace {

enum class Fn { kLeakyRelu, kElu, kHardtanh, kSoftplus, kMish, kPrelu, kIdentity };

class Pointwise : public Layer {
 public:
  Pointwise(const std::string& type, BuildCtx& ctx) {
    ctx.keys.ignore("inplace");
    if (type == "leaky_relu") {
      fn_ = Fn::kLeakyRelu;
      a_ = ctx.keys.get_float("negative_slope", 0.01);
    } else if (type == "elu") {
      fn_ = Fn::kElu;
      a_ = ctx.keys.get_float("alpha", 1.0);
    } else if (type == "hardtanh" || type == "relu6") {
      fn_ = Fn::kHardtanh;
      a_ = type == "relu6" ? 0.0 : ctx.keys.get_float("min_val", -1.0);
      b_ = type == "relu6" ? 6.0 : ctx.keys.get_float("max_val", 1.0);
      if (!(a_ <= b_)) throw WeightsError(ctx.where() + ": min_val must not exceed max_val");
    } else if (type == "softplus") {
      fn_ = Fn::kSoftplus;
      a_ = ctx.keys.get_float("beta", 1.0);
      b_ = ctx.keys.get_float("threshold", 20.0);
    } else if (type == "mish") {
      fn_ = Fn::kMish;
    } else if (type == "prelu") {
      fn_ = Fn::kPrelu;
      const std::string p = ctx.prefix();
      const std::vector<int64_t> s = ctx.shape_of(p + ".weight");
      const int64_t n = ctx.keys.get_int("num_parameters", s.size() == 1 ? s[0] : 1, 1);
      ctx.keys.ignore("init");
      w_ = ctx.get(p + ".weight", {n});
      if (n > 1) ctx.expect_in_dim(n, "num_parameters");
      if (n > 1) in_dim = out_dim = n;
    } else {
      fn_ = Fn::kIdentity;
    }
  }

  void forward(Workspace&, Act& x, const Act*) const override {
    if (fn_ == Fn::kIdentity) return;
    const int64_t C = x.C;
    if (fn_ == Fn::kPrelu && w_.size() > 1 && static_cast<int64_t>(w_.size()) != C)
      throw std::runtime_error(where + ": " + std::to_string(w_.size()) + " weights for " +
                               std::to_string(C) + " features");
#pragma omp parallel for if (x.rows() * C > 65536)
    for (int64_t r = 0; r < x.rows(); ++r) {
      float* row = x.data + r * C;
      for (int64_t c = 0; c < C; ++c) row[c] = apply(row[c], c);
    }
  }

 private:
  float apply(float f, int64_t c) const {
    const double v = f;
    switch (fn_) {
      case Fn::kLeakyRelu: return v > 0 ? f : static_cast<float>(v * a_);
      case Fn::kElu: return v > 0 ? f : static_cast<float>(a_ * std::expm1(v));
      case Fn::kHardtanh: return static_cast<float>(std::min(std::max(v, a_), b_));
      case Fn::kSoftplus: return v * a_ > b_ ? f : static_cast<float>(std::log1p(std::exp(v * a_)) / a_);
      case Fn::kMish: return static_cast<float>(v * std::tanh(std::log1p(std::exp(v))));
      case Fn::kPrelu: return v >= 0 ? f : static_cast<float>(v * w_[w_.size() > 1 ? c : 0]);
      case Fn::kIdentity: break;
    }
    return f;
  }

  Fn fn_ = Fn::kIdentity;
  double a_ = 0, b_ = 0;
  std::vector<float> w_;
};

// nn.GLU(dim=-1): the first half of the features times the sigmoid of the second half.
class Glu : public Layer {
 public:
  explicit Glu(BuildCtx& ctx) {
    const int64_t dim = ctx.keys.get_int("dim", -1);
    if (dim != -1 && dim != 1 && dim != 2)
      throw WeightsError(ctx.where() +
                         ": only the feature dim is supported (dim = -1, or 1 for the channels of "
                         "[N, C, L]), got " +
                         std::to_string(dim));
    if (ctx.in_dim < 0)
      throw WeightsError(ctx.where() + ": needs an earlier layer that fixes the feature size");
    if (ctx.in_dim % 2 != 0)
      throw WeightsError(ctx.where() + ": halves the features, but gets an odd number (" +
                         std::to_string(ctx.in_dim) + ")");
    in_dim = ctx.in_dim;
    out_dim = in_dim / 2;
    out_channels = 0;
  }
  void forward(Workspace& ws, Act& x, const Act*) const override {
    const int64_t half = out_dim;
    Act y = ws.next(x, half, x.layout);
#pragma omp parallel for if (x.rows() * x.C > 65536)
    for (int64_t r = 0; r < x.rows(); ++r) {
      const float* in = x.data + r * x.C;
      float* out = y.data + r * half;
      for (int64_t c = 0; c < half; ++c)
        out[c] = static_cast<float>(in[c] / (1.0 + std::exp(-static_cast<double>(in[half + c]))));
    }
    x = std::move(y);
  }
};

}  // namespace

std::unique_ptr<Layer> make_pointwise(const std::string& type, BuildCtx& ctx) {
  if (type == "glu") return std::make_unique<Glu>(ctx);
  return std::make_unique<Pointwise>(type, ctx);
}

}  // namespace seqflow::onednn
