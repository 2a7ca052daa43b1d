// Layers: the building blocks of a Model, each matching its PyTorch module in eval mode.
//
// What it is: an abstract Layer (build-time configuration and weights; forward over a padded batch;
// optional one-step mode with per-session state) and the factory that makes one from a LayerConfig.
// The builder (BuildCtx) fetches weights by PyTorch state_dict name and checks their shapes.
// Lifecycle: layers are built once, then immutable and shared by all threads; per-call state lives
// in the Workspace and per-session state in a LayerState. Errors at build: WeightsError naming the
// layer and parameter; at run: std::runtime_error naming the record or step.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "onednn/exec.hpp"
#include "onednn/layer_config.hpp"
#include "onednn/safetensors.hpp"

namespace seqflow::onednn {

enum class Precision { kF32, kBF16, kInt8 };

/// How f32 LSTM, GRU and RNN layers run: oneDNN's RNN primitive, or per-step oneDNN matmuls on
/// pre-packed weights (rnn_matmul.hpp); kAuto picks the faster one for the layer's shape.
enum class RnnKernel { kAuto, kPrimitive, kMatmul };

/// Build options that apply to every layer of a model.
struct ModelOptions {
  Precision precision = Precision::kF32;
  RnnKernel rnn_kernel = RnnKernel::kAuto;
};

class Layer;

/// Layers built from a list of configs in order, and what the list as a whole fixes: a Model's
/// layers, or a branch of a residual block (build_chain).
struct Chain {
  std::vector<std::unique_ptr<Layer>> layers;
  int64_t in_dim = -1;     // the input width the chain fixes, -1 none
  bool open = true;        // no layer fixed or lost track of the input width
  int64_t out_dim = -1;    // -1: the input's
  int64_t channels = 0;    // a conv2d's channels in the output steps (BuildCtx::in_channels)
  int64_t memory_dim = 0;  // > 0: decoder layers cross-attend to memory of this width
  int64_t weight_floats = 0;
  std::string step_unsupported;
  // For Model::build's check that every weight under a layer's prefix is read.
  std::vector<std::string> names_read;
  std::vector<std::pair<std::string, std::string>> prefixes;  // (prefix, where)
};

/// What a layer builder needs: keys, weights, the incoming feature size.
class BuildCtx {
 public:
  BuildCtx(const SafetensorsFile& weights, const ModelOptions& options, KeyReader& keys, int64_t in_dim,
           size_t index);
  KeyReader& keys;
  const ModelOptions& options;
  int64_t in_dim;           // -1 while no earlier layer fixed it
  size_t index;             // in the model's list; inside a residual block, never 0
  int64_t in_channels = 0;  // >0: steps hold this many channels of a conv2d, channel-major (2-d pools)
  int depth = 0;            // residual blocks around the layer

  const std::string& where() const { return keys.where(); }
  /// `prefix` key (required when `required`), without a trailing dot.
  std::string prefix(bool required = true);
  bool has(const std::string& name) const;
  /// The shape of parameter `name`; throws naming it when absent.
  std::vector<int64_t> shape_of(const std::string& name) const;
  /// Parameter `name` as f32, checked against `expected` (dims of -1 match anything). A parameter
  /// under weight normalization (its g and v, either PyTorch naming) is folded into the weight.
  std::vector<float> get(const std::string& name, const std::vector<int64_t>& expected) const;
  /// A [rows, cols] weight as PyTorch's Linear holds it, from a file that holds it [cols, rows] when
  /// `transposed` (Hugging Face's Conv1D in GPT-2).
  std::vector<float> get_matrix(const std::string& name, int64_t rows, int64_t cols, bool transposed) const;
  /// Parameter values get() has returned: the model's size, for Model::run's choice of batch length.
  mutable int64_t floats_read = 0;
  /// The file's tensors get() has read, and the prefix the layer took: Model::build refuses a tensor
  /// under some layer's prefix that no layer read, as PyTorch's strict load_state_dict would.
  mutable std::vector<std::string> names_read;
  std::string layer_prefix;
  std::vector<std::pair<std::string, std::string>> branch_prefixes;  // of the layers inside this one

  /// A residual block's branch `configs`, on this layer's input; `label` names its layers' parent
  /// ("layer 3" or "layer 3.shortcut").
  Chain branch(const std::vector<LayerConfig>& configs, const std::string& label);
  /// Throws unless the incoming feature size is unknown or equals `dim`.
  void expect_in_dim(int64_t dim, const std::string& what) const;

 private:
  std::pair<const StTensor*, const StTensor*> weight_norm(const std::string& name) const;
  std::vector<float> fold_weight_norm(const std::string& name, const StTensor& g, const StTensor& v) const;

  const SafetensorsFile& weights_;
};

/// Per-session state of a layer in one-step mode.
struct LayerState {
  virtual ~LayerState() = default;
};

class Layer {
 public:
  virtual ~Layer() = default;
  std::string where;
  int64_t in_dim = -1;   // -1: any (shape-preserving layers before any weights)
  int64_t out_dim = -1;  // -1: same as input
  // The channels of the steps it writes: -1 those it got (layers that do not reorder features), 0
  // none (layers that mix them), > 0 a conv2d's. Model::build passes them on as BuildCtx::in_channels.
  int64_t out_channels = -1;

  virtual bool takes_tokens() const { return false; }
  /// Token-id layers: rows of `out` ([n, out_dim]) for `ids`; `what` names the record in errors.
  virtual void embed(const int64_t* ids, int64_t n, float* out, const std::string& what) const;
  /// Token-id layers: the number of ids (valid ids are 0 .. vocab_size() - 1).
  virtual int64_t vocab_size() const { return 0; }
  virtual bool uses_memory() const { return false; }
  virtual int64_t memory_dim() const { return 0; }
  /// Output length of a sequence of `len` steps (0 or less: too short for this layer).
  virtual int64_t out_length(int64_t len) const { return len; }
  /// Why a sequence of `len` steps cannot enter this layer ("" when it can; out_length's "too short"
  /// is Model::check's).
  virtual std::string length_error(int64_t) const { return ""; }
  /// A layer whose output size depends on the sequence's length (flatten) learns the length from the
  /// first later layer with a fixed input size, at build; `in` is that size.
  virtual void bind_output(int64_t) {}
  virtual bool needs_output_binding() const { return false; }
  /// False for a layer whose output width differs from an input width it does not fix (conv2d's
  /// first use): a later layer's input size then says nothing of the model's.
  virtual bool keeps_unknown_width() const { return true; }
  /// `memory` is the decoder memory (cross-attention), null for models that use none.
  virtual void forward(Workspace& ws, Act& x, const Act* memory) const = 0;

  /// "" when the layer can run one step at a time, else why not.
  virtual std::string step_unsupported() const { return ""; }
  virtual std::unique_ptr<LayerState> begin(Workspace& ws, int64_t batch, const Act* memory) const;
  /// One step for each batch row: `x` has T = 1; `pos` is the step's position in the sequence.
  virtual void step(Workspace& ws, Act& x, LayerState* state, int64_t pos) const;
  /// Row i of the state becomes old row rows[i].
  virtual void reorder(LayerState* state, std::span<const uint32_t> rows) const;

 protected:
  /// The NTC output of a layer that changes the time axis: out_length() steps of `C` features, for
  /// the batch and for each record, in the slot `x` does not use.
  Act next_steps(Workspace& ws, const Act& x, int64_t C) const;
};

std::unique_ptr<Layer> make_layer(const LayerConfig& cfg, BuildCtx& ctx);

/// Builds `configs` in order (stacks unrolled, widths and conv2d channels passed on, a flatten bound
/// to the next fixed width), on an input of `in_dim` features (-1 unknown) holding `in_channels`
/// conv2d channels. `label` names the layers: "layer" gives "layer 3", "layer 3" gives "layer 3.0"...
Chain build_chain(const std::vector<LayerConfig>& configs, const std::string& label,
                  const SafetensorsFile& weights, const ModelOptions& options, int64_t in_dim,
                  int64_t in_channels, int depth);
/// Runs `layers` from `first` on `x` as Model::run does: each gets the width it was built for and its
/// padding as zeros.
void forward_chain(const std::vector<std::unique_ptr<Layer>>& layers, size_t first, Workspace& ws, Act& x,
                   const Act* memory);
/// A record of `len` steps through `layers`: its output length, or why it cannot pass ("" when it can).
int64_t chain_out_length(const std::vector<std::unique_ptr<Layer>>& layers, int64_t len);
std::string chain_length_error(const std::vector<std::unique_ptr<Layer>>& layers, int64_t len);

/// Residual blocks nest at most this deep: each level keeps its input in two workspace slots.
constexpr int kMaxResidualDepth = 4;

/// The largest kernel size, stride, dilation, padding or pool output size a layer accepts: far past
/// any real model, and small enough that the length arithmetic (len + 2 * pad - dil * (k - 1)) cannot
/// overflow.
constexpr int64_t kMaxWindow = int64_t{1} << 24;

// Builders, one per family (layers_basic.cpp, layers_act.cpp, layers_conv2d.cpp, layers_norm.cpp,
// layers_pool.cpp, layers_residual.cpp, layers_rnn.cpp, layers_windows.cpp, layers_transformer.cpp: the Transformer layers,
// multihead_attention and the relative-position attention).
std::unique_ptr<Layer> make_embedding(BuildCtx& ctx);
std::unique_ptr<Layer> make_linear(BuildCtx& ctx);
std::unique_ptr<Layer> make_conv1d(BuildCtx& ctx);
std::unique_ptr<Layer> make_conv2d(BuildCtx& ctx);
/// The weight shape of a convolution with `spatial` kernel dims under `prefix`, checked as PyTorch's
/// [out_channels, in_channels / groups, kernel...], with the groups and channel keys read from it.
std::vector<int64_t> conv_weight_shape(BuildCtx& ctx, const std::string& prefix, int spatial, int64_t& groups,
                                       int64_t& out_channels, int64_t& in_channels);
/// conv2d's and the 2-d pools' `time_dim`: the dim of PyTorch's [N, C, H, W] image that is time, 2
/// (the default: ESPnet's and WeNet's x.unsqueeze(1) of [N, T, F]) or 3 (DeepSpeech2's [N, 1, F, T]);
/// -2 and -1 name them too. For 3 the layer's (H, W) pairs are (features, time), and it swaps each
/// pair in `pairs` to (time, features).
void read_time_dim(BuildCtx& ctx, std::initializer_list<std::array<int64_t, 2>*> pairs, bool& time_is_width);
/// A normalization over each step's features (layer_norm, rms_norm): elementwise_affine, eps,
/// normalized_shape (the weight's size, else the input's width) and, when affine, the weight.
struct FeatureNorm {
  bool affine = true;
  float eps = 0;
  int64_t n = 0;
  std::string prefix;
  std::vector<float> weight;
};
FeatureNorm read_feature_norm(BuildCtx& ctx, double default_eps);
std::unique_ptr<Layer> make_layer_norm(BuildCtx& ctx);
std::unique_ptr<Layer> make_batch_norm(bool two_d, BuildCtx& ctx);
std::unique_ptr<Layer> make_group_norm(BuildCtx& ctx);
std::unique_ptr<Layer> make_rms_norm(BuildCtx& ctx);
std::unique_ptr<Layer> make_pool(const std::string& type, BuildCtx& ctx);
std::unique_ptr<Layer> make_pool2d(const std::string& type, BuildCtx& ctx);
std::unique_ptr<Layer> make_flatten(BuildCtx& ctx);
std::unique_ptr<Layer> make_flip();
std::unique_ptr<Layer> make_pointwise(const std::string& type, BuildCtx& ctx);
std::unique_ptr<Layer> make_activation(const std::string& type, BuildCtx& ctx);
std::unique_ptr<Layer> make_positional(BuildCtx& ctx);
std::unique_ptr<Layer> make_token_type(BuildCtx& ctx);
std::unique_ptr<Layer> make_rnn(const std::string& type, BuildCtx& ctx);
std::unique_ptr<Layer> make_transformer(bool decoder, BuildCtx& ctx);
/// `residual`: shortcut(x) + scale * body(x); `gated` (gated = true): body(x) * gate(x).
std::unique_ptr<Layer> make_residual(bool gated, BuildCtx& ctx);
/// `windows`: the layers `layers` run on each window of a record (layers_windows.cpp); `magnitude`:
/// sqrt(re^2 + im^2) of a step holding real parts, then imaginary parts.
std::unique_ptr<Layer> make_windows(BuildCtx& ctx);
std::unique_ptr<Layer> make_magnitude(BuildCtx& ctx);
std::unique_ptr<Layer> make_multihead_attention(BuildCtx& ctx);
std::unique_ptr<Layer> make_rel_attention(BuildCtx& ctx);
std::unique_ptr<Layer> make_rel_positional(BuildCtx& ctx);

/// The layer types make_layer knows, and the stacks expand_stack unrolls.
const std::vector<std::string>& layer_types();

/// A layer config as the layers Model::build makes: nn.TransformerEncoder and nn.TransformerDecoder
/// (`transformer_encoder`, `transformer_decoder`) become their num_layers layers `prefix.layers.K`
/// (num_layers defaults to the number in the file) and, when the file has `prefix.norm` (or `norm`
/// says so), the final LayerNorm; the stack's other keys go to each layer. Any other config comes back
/// alone. `prefix` is the stack's, "" for other configs.
struct ExpandedLayer {
  std::vector<LayerConfig> layers;
  std::string prefix;
  std::string where;
};
ExpandedLayer expand_stack(const LayerConfig& cfg, const std::string& label, const SafetensorsFile& weights);

// Shared kernels (layers_basic.cpp).
enum class Act1 { kRelu, kGeluErf, kGeluTanh, kSilu, kTanh, kSigmoid };
void apply_activation(Act1 a, float* x, int64_t n);
/// y = LayerNorm(x) over `rows` rows of C values (y may be x) on oneDNN's layer normalization;
/// gamma and beta are both null (no affine) or both set.
void layer_norm_rows(Workspace& ws, const float* x, float* y, int64_t rows, int64_t C, const float* gamma,
                     const float* beta, float eps);

/// A fully connected layer y = x W^T + b over rows, on a oneDNN inner product whose weights were
/// reordered once at build; `post` fuses an activation. Used by linear and the Transformer layers.
class Dense {
 public:
  Dense() = default;
  /// `w` is PyTorch's [out, in]; `b` may be empty.
  Dense(std::vector<float> w, std::vector<float> b, int64_t out, int64_t in, Precision precision,
        bool has_post = false, Act1 post = Act1::kRelu);
  int64_t in() const { return in_; }
  int64_t out() const { return out_; }
  /// y[rows, out] = x[rows, in] W^T + b; `ldx`/`ldy` are row strides (0: dense). `accumulate` adds
  /// the result (after the activation, if any) to y instead, in the same oneDNN call.
  void run(Workspace& ws, const float* x, float* y, int64_t rows, int64_t ldx = 0, int64_t ldy = 0,
           bool accumulate = false) const;

 private:
  int64_t in_ = 0, out_ = 0;
  Precision precision_ = Precision::kF32;
  bool has_post_ = false;
  Act1 post_ = Act1::kRelu;
  dnnl::memory w_;  // prepared format
  dnnl::memory b_;
  uint64_t owner_ = new_owner_id();  // its primitives' cache key
  std::vector<float> w_scales_;      // int8: per output channel
};

}  // namespace seqflow::onednn
