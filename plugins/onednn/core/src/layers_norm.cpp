// nn.BatchNorm1d and nn.GroupNorm in eval mode, over the feature dim: the channel dim of the
// [N, C, L] tensors PyTorch code hands them (the transposes are implied, as for conv1d).
//
// BatchNorm1d with running statistics is a per-feature affine map, row by row, in PyTorch's
// arithmetic (alpha = weight / sqrt(var + eps), beta = bias - mean * alpha, y = x * alpha + beta).
// Without them (track_running_stats = false) it normalizes with the statistics of the batch, which
// for a record run alone are its own over its steps; GroupNorm does the same per group of features.
// Those statistics cover a record's valid steps only, so batching does not change them.
#include <cmath>
#include <string>
#include <vector>

#include "onednn/layers.hpp"

namespace seqflow::onednn {
namespace {

// y = (x - mean) / sqrt(var + eps) * w[c] + b[c], mean and biased var over each record's valid steps
// and the `group` features of a group. w, b empty: no affine.
void normalize_per_record(Act& x, int64_t group, float eps, const std::vector<float>& w,
                          const std::vector<float>& b) {
  const int64_t groups = x.C / group;
#pragma omp parallel for collapse(2) if (x.B * x.T * x.C > 65536)
  for (int64_t r = 0; r < x.B; ++r)
    for (int64_t g = 0; g < groups; ++g) {
      const int64_t len = x.len[r], c0 = g * group;
      double sum = 0, sq = 0;
      for (int64_t t = 0; t < len; ++t) {
        const float* row = x.row(r, t) + c0;
        for (int64_t c = 0; c < group; ++c) sum += row[c];
      }
      const double n = static_cast<double>(len * group), mean = sum / n;
      for (int64_t t = 0; t < len; ++t) {
        const float* row = x.row(r, t) + c0;
        for (int64_t c = 0; c < group; ++c) sq += (row[c] - mean) * (row[c] - mean);
      }
      const auto m = static_cast<float>(mean);
      const auto rstd = static_cast<float>(1.0 / std::sqrt(sq / n + eps));
      for (int64_t t = 0; t < len; ++t) {
        float* row = x.row(r, t) + c0;
        for (int64_t c = 0; c < group; ++c) {
          const float v = (row[c] - m) * rstd;
          row[c] = w.empty() ? v : v * w[c0 + c] + b[c0 + c];
        }
      }
    }
}

// batch_norm: BatchNorm1d over the features. batch_norm2d: BatchNorm2d after a conv2d, whose steps
// hold `n` channels of F features, channel-major (layers_conv2d.cpp): channel c scales features
// c * F .. c * F + F - 1, and its batch statistics cover a record's steps and those F features.
class BatchNorm : public Layer {
 public:
  BatchNorm(bool two_d, BuildCtx& ctx) : two_d_(two_d) {
    const bool affine = ctx.keys.get_bool("affine", true);
    running_ = ctx.keys.get_bool("track_running_stats", true);
    eps_ = static_cast<float>(ctx.keys.get_float("eps", 1e-5));
    ctx.keys.ignore("momentum");
    int64_t n = ctx.keys.get_int("num_features", -1, 1);
    const std::string p = ctx.prefix(affine || running_);
    if (affine || running_) {
      const std::vector<int64_t> s = ctx.shape_of(p + (affine ? ".weight" : ".running_mean"));
      if (n < 0 && s.size() == 1) n = s[0];
    }
    if (n < 0 && !two_d) n = ctx.in_dim;
    if (n < 0)
      throw WeightsError(ctx.where() + ": needs key 'num_features' (" +
                         (two_d ? "or weights" : "no earlier layer fixes the size") + ")");
    if (!two_d) ctx.expect_in_dim(n, "num_features");
    if (two_d && ctx.in_dim >= 0 && ctx.in_dim % n != 0)
      throw WeightsError(ctx.where() + ": the previous layer's " + std::to_string(ctx.in_dim) +
                         " features are not num_features " + std::to_string(n) + " channels of equal size");
    channels_ = n;
    if (affine) {
      w_ = ctx.get(p + ".weight", {n});
      b_ = ctx.get(p + ".bias", {n});
    }
    if (running_) {
      const std::vector<float> mean = ctx.get(p + ".running_mean", {n});
      const std::vector<float> var = ctx.get(p + ".running_var", {n});
      alpha_.resize(static_cast<size_t>(n));
      beta_.resize(static_cast<size_t>(n));
      for (size_t c = 0; c < alpha_.size(); ++c) {
        const float invstd = 1.f / std::sqrt(var[c] + eps_);
        alpha_[c] = affine ? invstd * w_[c] : invstd;
        beta_[c] = (affine ? b_[c] : 0.f) - mean[c] * alpha_[c];
      }
    }
    if (!two_d) in_dim = out_dim = n;
    else if (ctx.in_dim >= 0) in_dim = out_dim = ctx.in_dim;
  }
  std::string step_unsupported() const override {
    return running_ ? ""
                    : where + " (track_running_stats = false) normalizes with a whole sequence's statistics";
  }
  void forward(Workspace&, Act& x, const Act*) const override {
    if (x.C % channels_ != 0)
      throw std::runtime_error(where + ": " + std::to_string(x.C) + " features per step are not " +
                               std::to_string(channels_) + " channels of equal size");
    const int64_t F = x.C / channels_;  // 1 for batch_norm
    if (!running_) {
      if (F == 1) return normalize_per_record(x, 1, eps_, w_, b_);  // each feature on its own
      std::vector<float> w, b;  // channel c's affine for each of its F features
      for (size_t c = 0; c < w_.size(); ++c) {
        w.insert(w.end(), static_cast<size_t>(F), w_[c]);
        b.insert(b.end(), static_cast<size_t>(F), b_[c]);
      }
      return normalize_per_record(x, F, eps_, w, b);
    }
    const int64_t C = x.C;
#pragma omp parallel for if (x.rows() * C > 65536)
    for (int64_t r = 0; r < x.rows(); ++r) {
      float* v = x.data + r * C;
      for (int64_t c = 0; c < C; ++c) v[c] = v[c] * alpha_[c / F] + beta_[c / F];
    }
  }

 private:
  bool two_d_ = false;
  int64_t channels_ = 1;
  bool running_ = true;
  float eps_ = 1e-5f;
  std::vector<float> w_, b_, alpha_, beta_;
};

class GroupNorm : public Layer {
 public:
  explicit GroupNorm(BuildCtx& ctx) {
    if (!ctx.keys.has("num_groups")) throw WeightsError(ctx.where() + ": needs key 'num_groups'");
    groups_ = ctx.keys.get_int("num_groups", 1, 1);
    const bool affine = ctx.keys.get_bool("affine", true);
    eps_ = static_cast<float>(ctx.keys.get_float("eps", 1e-5));
    int64_t n = ctx.keys.get_int("num_channels", -1, 1);
    const std::string p = ctx.prefix(affine);
    if (affine && n < 0) {
      const std::vector<int64_t> s = ctx.shape_of(p + ".weight");
      if (s.size() == 1) n = s[0];
    }
    if (n < 0) n = ctx.in_dim;
    if (n < 0)
      throw WeightsError(ctx.where() + ": needs key 'num_channels' (no earlier layer fixes the size)");
    if (n % groups_ != 0)
      throw WeightsError(ctx.where() + ": num_channels " + std::to_string(n) +
                         " is not divisible by num_groups " + std::to_string(groups_));
    ctx.expect_in_dim(n, "num_channels");
    if (affine) {
      w_ = ctx.get(p + ".weight", {n});
      b_ = ctx.get(p + ".bias", {n});
    }
    in_dim = out_dim = n;
  }
  std::string step_unsupported() const override {
    return where + " (group_norm) normalizes with a whole sequence's statistics";
  }
  void forward(Workspace&, Act& x, const Act*) const override {
    normalize_per_record(x, x.C / groups_, eps_, w_, b_);
  }

 private:
  int64_t groups_ = 1;
  float eps_ = 1e-5f;
  std::vector<float> w_, b_;
};

// nn.RMSNorm and the models' own RMSNorm (LLaMA's, T5's): x / sqrt(mean(x^2) + eps) * weight over
// each step's features, with PyTorch's default eps (None: float32's machine epsilon).
class RmsNorm : public Layer {
 public:
  explicit RmsNorm(BuildCtx& ctx) {
    FeatureNorm f = read_feature_norm(ctx, 1.1920928955078125e-07);
    affine_ = f.affine;
    eps_ = f.eps;
    w_ = std::move(f.weight);
    in_dim = out_dim = f.n;
  }
  void forward(Workspace&, Act& x, const Act*) const override {
#pragma omp parallel for collapse(2) if (x.B * x.T * x.C > 65536)
    for (int64_t b = 0; b < x.B; ++b)
      for (int64_t t = 0; t < x.T; ++t) {
        if (t >= x.len[static_cast<size_t>(b)]) continue;  // padding stays zeros
        float* row = x.row(b, t);
        double sq = 0;
        for (int64_t c = 0; c < x.C; ++c) sq += static_cast<double>(row[c]) * row[c];
        const float r = 1.f / std::sqrt(static_cast<float>(sq / static_cast<double>(x.C)) + eps_);
        for (int64_t c = 0; c < x.C; ++c)
          row[c] = affine_ ? w_[static_cast<size_t>(c)] * (row[c] * r) : row[c] * r;
      }
  }

 private:
  bool affine_ = true;
  float eps_ = 0;
  std::vector<float> w_;
};

}  // namespace

std::unique_ptr<Layer> make_batch_norm(bool two_d, BuildCtx& ctx) {
  return std::make_unique<BatchNorm>(two_d, ctx);
}
std::unique_ptr<Layer> make_group_norm(BuildCtx& ctx) { return std::make_unique<GroupNorm>(ctx); }
std::unique_ptr<Layer> make_rms_norm(BuildCtx& ctx) { return std::make_unique<RmsNorm>(ctx); }

}  // namespace seqflow::onednn
