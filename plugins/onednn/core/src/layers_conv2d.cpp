// nn.Conv2d over (time, features), as speech front ends apply it: x.unsqueeze(1) of a [N, T, F]
// batch is a one-channel image with time as its height, and the output [N, C, T', F'] is read back
// as x.transpose(1, 2).reshape(N, T', C * F') (ESPnet's and WeNet's Conv2dSubsampling). So a step's
// features are C channels of F values, channel-major (feature c * F + f), in and out: a following
// conv2d or linear sees exactly what the PyTorch code hands its next module. DeepSpeech2 puts time in
// the image's width ([N, 1, F, T], read back as x.view(N, C * F', T').transpose(1, 2): the same
// channel-major steps); with time_dim = 3 the layer swaps its (H, W) pairs and kernels once at build.
//
// The feature count F of the first conv2d's input is the record's width divided by in_channels, known
// at run time (Model::run checks each layer's fixed input width). Time padding at a record's end is
// the batch's padding rows, zeros (Act), as for conv1d; oneDNN reorders the channel-major steps to
// and from the layout its convolution wants.
#include <array>
#include <string>

#include "onednn/layers.hpp"

namespace seqflow::onednn {
namespace {

using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;

class Conv2d : public Layer {
 public:
  explicit Conv2d(BuildCtx& ctx) {
    const std::string p = ctx.prefix();
    const std::vector<int64_t> s = conv_weight_shape(ctx, p, 2, groups_, oc_, ic_);
    k_ = ctx.keys.get_pair("kernel_size", 0, 1, kMaxWindow);
    if (!ctx.keys.has("kernel_size")) k_ = {s[2], s[3]};
    stride_ = ctx.keys.get_pair("stride", 1, 1, kMaxWindow);
    dilation_ = ctx.keys.get_pair("dilation", 1, 1, kMaxWindow);
    if (const ConfigValue* pad = ctx.keys.get_raw("padding");
        pad != nullptr && pad->kind == ConfigValue::Kind::kString) {
      if (pad->s == "same") {
        if (stride_[0] != 1 || stride_[1] != 1)
          throw WeightsError(ctx.where() + ": padding = \"same\" needs stride 1 (as in PyTorch)");
        for (int d = 0; d < 2; ++d) {
          const int64_t span = dilation_[d] * (k_[d] - 1);
          pad_l_[d] = span / 2;  // PyTorch puts the odd extra step on the right
          pad_r_[d] = span - pad_l_[d];
        }
      } else if (pad->s != "valid") {
        throw WeightsError(ctx.where() +
                           ": key 'padding' must be an integer, a list of two, \"same\" or \"valid\"");
      }
    } else {
      pad_l_ = pad_r_ = ctx.keys.get_pair("padding", 0, 0, kMaxWindow);
    }
    ctx.keys.get_choice("padding_mode", "zeros", "zeros");
    const bool bias = ctx.keys.get_bool("bias", ctx.has(p + ".bias"));
    w_ = ctx.get(p + ".weight", {oc_, ic_ / groups_, k_[0], k_[1]});
    bool time_is_width = false;
    read_time_dim(ctx, {&k_, &stride_, &dilation_, &pad_l_, &pad_r_}, time_is_width);
    if (time_is_width) {  // each [kernel_f, kernel_t] kernel transposed to [kernel_t, kernel_f]
      std::vector<float> t(w_.size());
      const int64_t kt = k_[0], kf = k_[1];
      for (size_t m = 0; m < w_.size() / static_cast<size_t>(kt * kf); ++m)
        for (int64_t i = 0; i < kf; ++i)
          for (int64_t j = 0; j < kt; ++j) t[m * kt * kf + j * kf + i] = w_[m * kt * kf + i * kt + j];
      w_ = std::move(t);
    }
    out_channels = oc_;
    b_ = bias ? ctx.get(p + ".bias", {oc_}) : std::vector<float>(static_cast<size_t>(oc_), 0.f);
    w_mem_ = mem(groups_ == 1 ? dnnl::memory::desc({oc_, ic_, k_[0], k_[1]}, dt::f32, tag::oihw)
                              : dnnl::memory::desc({groups_, oc_ / groups_, ic_ / groups_, k_[0], k_[1]},
                                                   dt::f32, tag::goihw),
                 w_.data());
    if (ctx.in_dim >= 0) {
      if (ctx.in_dim % ic_ != 0 || out_size(1, ctx.in_dim / ic_) <= 0)
        throw WeightsError(ctx.where() + ": the previous layer's " + std::to_string(ctx.in_dim) +
                           " features are not in_channels " + std::to_string(ic_) +
                           " times a feature count the kernel fits");
      in_dim = ctx.in_dim;
      out_dim = oc_ * out_size(1, in_dim / ic_);
    }
  }
  // Steps are conv2d's one-channel-image rows: its length arithmetic, in dim 0.
  int64_t out_length(int64_t len) const override { return out_size(0, len); }
  bool keeps_unknown_width() const override { return false; }
  std::string step_unsupported() const override { return where + " (conv2d) looks at several steps at once"; }

  void forward(Workspace& ws, Act& x, const Act*) const override {
    ws.to_layout(x, Layout::kNTC);
    if (x.C % ic_ != 0 || out_size(1, x.C / ic_) <= 0)
      throw std::runtime_error(where + ": " + std::to_string(x.C) +
                               " features per step are not in_channels " + std::to_string(ic_) +
                               " times a feature count the kernel fits");
    const int64_t F = x.C / ic_, Fo = out_size(1, F), To = out_length(x.T);
    Act y = next_steps(ws, x, oc_ * Fo);

    // Steps hold [C][F]: as an NCHW tensor (H = time, W = features) that is strides {T C F, F, C F, 1}.
    const dnnl::memory::desc src_steps({x.B, ic_, x.T, F}, dt::f32, dnnl::memory::dims{x.T * x.C, F, x.C, 1});
    const dnnl::memory::desc dst_steps({y.B, oc_, To, Fo}, dt::f32, dnnl::memory::dims{To * y.C, Fo, y.C, 1});
    const std::string key = prim_key("conv2d", owner_, {x.B, x.T, F});
    Workspace::Prim* p = ws.find(key);
    if (p == nullptr) {
      const dnnl::memory::desc src_any({x.B, ic_, x.T, F}, dt::f32, tag::any);
      const dnnl::memory::desc dst_any({y.B, oc_, To, Fo}, dt::f32, tag::any);
      const dnnl::memory::desc w_any =
          groups_ == 1
              ? dnnl::memory::desc({oc_, ic_, k_[0], k_[1]}, dt::f32, tag::any)
              : dnnl::memory::desc({groups_, oc_ / groups_, ic_ / groups_, k_[0], k_[1]}, dt::f32, tag::any);
      dnnl::convolution_forward::desc d(
          dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src_any, w_any,
          dnnl::memory::desc({oc_}, dt::f32, tag::a), dst_any, {stride_[0], stride_[1]},
          {dilation_[0] - 1, dilation_[1] - 1}, {pad_l_[0], pad_l_[1]}, {pad_r_[0], pad_r_[1]});
      dnnl::convolution_forward::primitive_desc pd(d, base_attr(), cpu_engine());
      Workspace::Prim np;
      np.prim = dnnl::convolution_forward(pd);
      np.weights = pd.weights_desc();
      np.src = pd.src_desc();
      np.dst = pd.dst_desc();
      np.scratch = pd.scratchpad_desc().get_size();
      p = &ws.put(key, std::move(np));
    }
    const dnnl::memory::desc& src_desc = p->src;
    const dnnl::memory::desc& dst_desc = p->dst;
    float* src = ws.buf(kTmp0, src_desc.get_size() / sizeof(float));
    float* dst = ws.buf(kTmp1, dst_desc.get_size() / sizeof(float));
    reorder(ws, key + "/in", src_steps, x.data, src_desc, src);
    dnnl::memory w = ws.weights_as(w_mem_, p->weights);
    p->prim.execute(ws.stream(), {{DNNL_ARG_SRC, mem(src_desc, src)},
                                  {DNNL_ARG_WEIGHTS, w},
                                  {DNNL_ARG_BIAS, mem({{oc_}, dt::f32, tag::a}, b_.data())},
                                  {DNNL_ARG_DST, mem(dst_desc, dst)},
                                  {DNNL_ARG_SCRATCHPAD, ws.scratchpad(p->scratch)}});
    reorder(ws, key + "/out", dst_desc, dst, dst_steps, y.data);
    x = std::move(y);
  }

 private:
  // A reorder made once per shape, as the convolution is: to and from its chosen layout.
  static void reorder(Workspace& ws, const std::string& key, const dnnl::memory::desc& from, const float* src,
                      const dnnl::memory::desc& to, float* dst) {
    Workspace::Prim* r = ws.find(key);
    if (r == nullptr) {
      Workspace::Prim np;
      np.prim = dnnl::reorder(dnnl::reorder::primitive_desc(cpu_engine(), from, cpu_engine(), to));
      r = &ws.put(key, std::move(np));
    }
    ws.run(*r, {{DNNL_ARG_FROM, from, src}, {DNNL_ARG_TO, to, dst}});
  }

  // Output size along dim d (0 time, 1 features) of an input of n.
  int64_t out_size(int d, int64_t n) const {
    const int64_t num = n + pad_l_[d] + pad_r_[d] - dilation_[d] * (k_[d] - 1) - 1;
    return num < 0 ? 0 : num / stride_[d] + 1;
  }

  int64_t ic_ = 0, oc_ = 0, groups_ = 1;
  std::array<int64_t, 2> k_{1, 1}, stride_{1, 1}, dilation_{1, 1}, pad_l_{0, 0}, pad_r_{0, 0};
  std::vector<float> w_, b_;
  dnnl::memory w_mem_;
  uint64_t owner_ = new_owner_id();
};

}  // namespace

std::unique_ptr<Layer> make_conv2d(BuildCtx& ctx) { return std::make_unique<Conv2d>(ctx); }

}  // namespace seqflow::onednn
