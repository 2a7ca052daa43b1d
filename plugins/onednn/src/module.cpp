// The onednn module: the `onednn.model` resource and the `onednn.run` stage, on seqflow_onednn_core.
//
// onednn.model builds a Model once per [resources.X] entry and offers two interfaces: the public
// step interface (seqflow/onednn_step.h) and `seqflow.onednn.model`, this module's own handle for
// onednn.run (its vtable returns the Model; only code built with this module may use it).
#include <seqflow/onednn_step.h>
#include <seqflow/half.hpp>
#include <seqflow/sdk.hpp>

#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "onednn/model.hpp"

namespace seqflow::onednn {
namespace {

constexpr const char* kModelInterface = "seqflow.onednn.model";

struct ModelHandleV1 {
  uint32_t struct_size;
  const Model* (*model)(const void* object);
};

LayerConfig to_layer(const Value& t, const std::string& where);

ConfigValue to_config(const Value& v, const std::string& where) {
  switch (v.kind()) {
    case SF_VALUE_BOOL: return ConfigValue::boolean(v.as_bool());
    case SF_VALUE_INT: return ConfigValue::integer(v.as_int());
    case SF_VALUE_FLOAT: return ConfigValue::real(v.as_float());
    case SF_VALUE_STRING: return ConfigValue::string(v.as_string());
    case SF_VALUE_ARRAY: {
      if (v.size() > 0 && v[0].kind() == SF_VALUE_TABLE) {  // a residual block's layers
        std::vector<LayerConfig> layers;
        for (size_t i = 0; i < v.size(); ++i)
          layers.push_back(to_layer(v[i], where + "[" + std::to_string(i) + "]"));
        return ConfigValue::layer_list(std::move(layers));
      }
      std::vector<int64_t> ints;
      for (size_t i = 0; i < v.size(); ++i) {
        if (v[i].kind() != SF_VALUE_INT)
          throw Error(where + " must be a list of integers such as [3, 5], or of layer tables");
        ints.push_back(v[i].as_int());
      }
      return ConfigValue::integers(std::move(ints));
    }
    default:
      throw Error(where + " must be a boolean, number, string, or a list of integers or of layer tables");
  }
}

LayerConfig to_layer(const Value& t, const std::string& where) {
  if (t.kind() != SF_VALUE_TABLE)
    throw Error(where + " must be a table such as { type = \"linear\", prefix = \"head\" }");
  LayerConfig c;
  for (size_t k = 0; k < t.size(); ++k) {
    std::string key(t.key(k));
    if (key == "type") {
      if (t.item(k).kind() != SF_VALUE_STRING) throw Error(where + ".type must be a string");
      c.type = t.item(k).as_string();
    } else {
      c.set(key, to_config(t.item(k), where + "." + key));
    }
  }
  if (c.type.empty()) throw Error(where + " has no `type` (linear, lstm, transformer_encoder_layer, ...)");
  return c;
}

class ModelResource : public Resource<ModelResource> {
 public:
  static constexpr Info info{
      "model",
      "A PyTorch-compatible sequence model on oneDNN: `layers` applied in order, as PyTorch would with "
      "batch_first=True, with weights from a safetensors file "
      "(safetensors.torch.save_file(model.state_dict())). "
      "Each layer is a table with `type` and the PyTorch constructor arguments of its module; `prefix` is "
      "its "
      "name in the state_dict. Types: embedding, linear, conv1d, conv2d, layer_norm, batch_norm, "
      "batch_norm2d, "
      "group_norm, "
      "max_pool1d, avg_pool1d, adaptive_max_pool1d, adaptive_avg_pool1d, max_pool2d, avg_pool2d (after a "
      "conv2d), "
      "flatten, flip (time reversed), "
      "lstm, "
      "gru, rnn, "
      "transformer_encoder_layer, transformer_decoder_layer, transformer_encoder and transformer_decoder "
      "(nn.TransformerEncoder/Decoder stacks), positional_encoding (kind = \"sinusoidal\" | "
      "\"learned\", scale), relu, gelu, silu, tanh, sigmoid, leaky_relu, elu, hardtanh, relu6, softplus, "
      "mish, "
      "prelu, glu, identity, softmax, log_softmax, dropout, residual (a skip connection around a list of "
      "layers), multihead_attention (self- or cross-attention alone), rel_multihead_attention and "
      "rel_positional_encoding (Conformer), token_type_embedding (BERT), rms_norm and gated (LLaMA). Every "
      "parameter "
      "is "
      "checked for presence and shape when the pipeline starts. Causal models also offer the step interface "
      "seqflow.onednn.step for autoregressive decoders.",
      R"([resources.acoustic]
plugin = "onednn.model"
weights = "models/am.safetensors"
layers = [
  { type = "conv1d", prefix = "conv", kernel_size = 3, stride = 2, padding = 1 },
  { type = "lstm", prefix = "rnn", num_layers = 2, bidirectional = true },
  { type = "linear", prefix = "head" },
  { type = "log_softmax" },
]
)"};
  static constexpr sf_param_decl params[] = {
      Param::path(
          "weights", nullptr,
          "The safetensors file with the model's state_dict (F32, F16, BF16 or F64 tensors). A weight "
          "under weight normalization (<name>_g and <name>_v, or PyTorch 2.1's "
          "parametrizations.<name>.original0/1) is folded."),
      Param::array(
          "layers", nullptr,
          "The layers, in order: tables with `type`, `prefix` and the layer's PyTorch constructor "
          "arguments; sizes the weights determine may be left out, and so may num_layers, bidirectional, "
          "proj_size and bias, which default to what the file holds (a parameter under a layer's prefix "
          "that the layer does not use is an error). Keys by type: embedding: "
          "num_embeddings, embedding_dim, max_norm, norm_type, scale; linear: in_features, out_features, "
          "bias, transposed (stored [in, out], GPT-2's Conv1D); "
          "conv1d: in_channels, out_channels, kernel_size, stride, padding (int, \"same\", \"valid\", [left, "
          "right]), "
          "dilation, groups, bias, padding_mode (zeros, reflect, replicate, circular); conv2d (over time and "
          "features, a step's features channel-major, as ESPnet's Conv2dSubsampling reshapes them): "
          "in_channels, out_channels, kernel_size, stride, padding, dilation (ints or PyTorch's [H, W] "
          "pairs), groups, bias, time_dim (2: time is the image's height, as ESPnet's x.unsqueeze(1); 3: its "
          "width, as DeepSpeech2's [N, 1, F, T]; max_pool2d and avg_pool2d take it too); layer_norm: "
          "normalized_shape, eps, elementwise_affine, bias; batch_norm (BatchNorm1d over the features): "
          "num_features, eps, affine, track_running_stats (batch_norm2d: the same, over a conv2d's "
          "channels); "
          "group_norm: num_groups, num_channels, eps, "
          "affine; max_pool1d, avg_pool1d: kernel_size, stride, padding, ceil_mode, dilation (max), "
          "count_include_pad and divisor_override (avg); adaptive_max_pool1d, adaptive_avg_pool1d: "
          "output_size; flatten (of [N, C, L]: one step of C x L features, L fixed by the next linear); "
          "lstm, "
          "gru, rnn: input_size, hidden_size, "
          "num_layers, bias, bidirectional, proj_size (lstm), nonlinearity (rnn: tanh, relu); "
          "transformer_encoder_layer, transformer_decoder_layer: d_model, nhead, dim_feedforward, "
          "activation (relu, gelu), layer_norm_eps, norm_first, bias, causal (default: false for the "
          "encoder, true for the decoder); transformer_encoder, transformer_decoder: num_layers, norm "
          "(final prefix.norm), norm_eps and each layer's keys; positional_encoding: kind (sinusoidal: "
          "d_model, max_len, "
          "scale; learned: max_len, scale; both: offset, the first step's position); token_type_embedding "
          "(BERT's segment embedding): token_type; gelu: approximate (none, tanh); softmax, log_softmax: dim "
          "(-1); leaky_relu: negative_slope; elu: alpha; hardtanh: min_val, max_val; softplus: beta, "
          "threshold; prelu: num_parameters (weights under prefix); glu: dim (-1); residual: layers (the "
          "body, a list of layer tables), shortcut (a list of layer tables, default the input), scale "
          "(y = shortcut(x) + scale * body(x)); gated: layers, gate (y = body(x) * gate(x)); rms_norm: "
          "normalized_shape, eps, elementwise_affine; multihead_attention (nn.MultiheadAttention alone): "
          "num_heads, embed_dim, causal, cross_attention (to the memory field; kdim, vdim), rotary (none, "
          "half, interleaved), rotary_base, num_key_value_heads (grouped-query), qkv_proj (one packed "
          "Linear, GPT-2's c_attn), transposed (Linears stored [in, out]), and q_proj, k_proj, v_proj, "
          "out_proj naming separate projection "
          "Linears (Hugging Face's and ESPnet's names "
          "are found without them); rel_multihead_attention "
          "(Conformer's, ESPnet's and NeMo's names): num_heads, n_feat, pos (relative: ESPnet's and NeMo's "
          "rel_shift; absolute: WeNet's); rel_positional_encoding: d_model, xscale (x * sqrt(d_model)); windows (Silero VAD's wrapper): size, "
          "step, padding ([left, right] zero steps), pad_end (zeros complete the last window), layers (run "
          "on each window as a record of its own; the windows' outputs end to end); magnitude: sqrt(re^2 + "
          "im^2) of a step holding real parts, then imaginary parts. "
          "dropout, batch_first, "
          "padding_idx and the like are accepted and do nothing at "
          "inference."),
      Param::string("precision", "\"f32\"",
                    "Arithmetic of the matmul-heavy layers: f32 matches PyTorch; int8 quantizes weights per "
                    "output channel and activations per batch (dynamic scales) in linear layers, Transformer "
                    "projections, and LSTM, GRU and tanh-RNN layers without projection (recurrent state "
                    "at the fixed scale 127, as |h| < 1; steps under 256k multiply-adds stay f32, where "
                    "int8 measured slower); bf16 rounds linear and Transformer projection "
                    "inputs and weights to bfloat16. Convolutions, relu RNNs and attention products stay "
                    "f32.",
                    "f32|bf16|int8"),
      Param::string(
          "rnn_kernel", "\"auto\"",
          "How LSTM (without projection), GRU and RNN layers run: primitive is oneDNN's RNN "
          "primitive; matmul projects the input of a block of steps in one product and runs each step "
          "as a oneDNN matmul on pre-packed weights plus the cell's element-wise math; auto picks "
          "matmul for batches below 32 whose step has at least 16384 gate values (batch x gates x "
          "hidden) or whose hidden-to-hidden weights exceed 1 MB, and at precision int8 for every "
          "batch but those whose step is under 256k multiply-adds on at most 512 KB of weights "
          "(which run in f32), where each measured faster; never by thread count. Outputs agree within 1e-4, "
          "and each kernel gives "
          "the same bytes at any thread count.",
          "auto|primitive|matmul"),
  };
  static constexpr const char* interfaces[] = {SF_ONEDNN_STEP_INTERFACE, kModelInterface};

  explicit ModelResource(CreateContext& ctx) {
    std::string path = ctx.param("weights").as_string();
    Value layers = ctx.param("layers");
    std::vector<LayerConfig> cfg;
    for (size_t i = 0; i < layers.size(); ++i)
      cfg.push_back(to_layer(layers[i], "layers[" + std::to_string(i) + "]"));
    std::string p = ctx.param("precision").as_string();
    ModelOptions opt;
    opt.precision = p == "int8" ? Precision::kInt8 : p == "bf16" ? Precision::kBF16 : Precision::kF32;
    std::string k = ctx.param("rnn_kernel").as_string();
    opt.rnn_kernel = k == "matmul"      ? RnnKernel::kMatmul
                     : k == "primitive" ? RnnKernel::kPrimitive
                                        : RnnKernel::kAuto;
    try {
      std::shared_ptr<const SafetensorsFile> w = SafetensorsFile::open(path);
      model_ = Model::build(cfg, *w, opt);
    } catch (const WeightsError& e) {
      throw Error(e.what());
    } catch (const dnnl::error& e) {
      throw Error(std::string("oneDNN could not set up the model: ") + e.what(), SF_ERR_UNSUPPORTED);
    }
    why_not_ = model_->step_unsupported();
  }

  bool get_interface(std::string_view name, uint32_t min_version, sf_interface& out) {
    if (name == SF_ONEDNN_STEP_INTERFACE && min_version <= SF_ONEDNN_STEP_VERSION) {
      out.name = SF_ONEDNN_STEP_INTERFACE;
      out.version = SF_ONEDNN_STEP_VERSION;
      out.vtable = &kStep;
      return true;
    }
    if (name == kModelInterface && min_version <= 1) {
      out.name = kModelInterface;
      out.version = 1;
      out.vtable = &kHandle;
      return true;
    }
    return false;
  }

  const Model& model() const { return *model_; }

 private:
  struct Session {
    std::unique_ptr<StepSession> s;
  };

  static sf_status fail(sf_error* err, sf_status code, const std::string& m) {
    if (err != nullptr) std::snprintf(err->message, sizeof(err->message), "%s", m.c_str());
    return code;
  }
  template <class F>
  static sf_status guarded(sf_error* err, F&& f) noexcept {
    try {
      f();
      return SF_OK;
    } catch (const dnnl::error& e) {
      return fail(err, SF_ERR_INTERNAL, std::string("oneDNN: ") + e.what());
    } catch (const std::bad_alloc&) {
      return fail(err, SF_ERR_INTERNAL, "out of memory");
    } catch (const std::exception& e) {
      return fail(err, SF_ERR_INVALID, e.what());
    }
  }

  static void info_fn(const void* object, sf_onednn_model_info* out) {
    const auto* r = static_cast<const ModelResource*>(object);
    const Model& m = *r->model_;
    out->struct_size = sizeof(*out);
    out->takes_tokens = m.takes_tokens() ? 1 : 0;
    out->input_dim = m.takes_tokens() ? 0 : m.input_dim();
    out->output_dim = m.output_dim();
    out->memory_dim = m.memory_dim();
    out->can_step = r->why_not_.empty() ? 1 : 0;
    out->why_not = r->why_not_.c_str();
  }
  static sf_status begin_fn(const void* object, uint32_t rows, const sf_tensor_view* memory, uint32_t threads,
                            sf_onednn_session** out, sf_error* err) {
    return guarded(err, [&] {
      const Model& m = static_cast<const ModelResource*>(object)->model();
      std::vector<SeqInput> mem;
      if (m.needs_memory()) {
        if (memory == nullptr)
          throw std::runtime_error("the model's decoder layers need a memory sequence per row");
        for (uint32_t i = 0; i < rows; ++i) {
          const sf_tensor_view& v = memory[i];
          if (v.dtype != SF_DTYPE_F32 || v.ndim != 2)
            throw std::runtime_error("memory of row " + std::to_string(i) + " must be an f32 tensor [T, " +
                                     std::to_string(m.memory_dim()) + "]");
          SeqInput s;
          s.features = static_cast<const float*>(v.data);
          s.length = v.shape[0];
          s.dim = v.shape[1];
          if (s.dim != m.memory_dim())
            throw std::runtime_error("memory of row " + std::to_string(i) + " has " + std::to_string(s.dim) +
                                     " features, the model expects " + std::to_string(m.memory_dim()));
          mem.push_back(s);
        }
      }
      auto* s = new Session{m.begin(static_cast<int>(threads == 0 ? 1 : threads), rows, mem)};
      *out = reinterpret_cast<sf_onednn_session*>(s);
    });
  }
  static sf_status step_fn(sf_onednn_session* session, const int64_t* tokens, const float* features,
                           float* out, sf_error* err) {
    return guarded(err, [&] {
      auto* s = reinterpret_cast<Session*>(session);
      if (tokens != nullptr) s->s->step_tokens(tokens, out);
      else if (features != nullptr) s->s->step_features(features, out);
      else throw std::runtime_error("step needs tokens or features");
    });
  }
  static sf_status reorder_fn(sf_onednn_session* session, const uint32_t* rows, uint32_t count,
                              sf_error* err) {
    return guarded(err, [&] { reinterpret_cast<Session*>(session)->s->reorder({rows, count}); });
  }
  static void shape_fn(const sf_onednn_session* session, uint32_t* rows, int64_t* position) {
    const auto* s = reinterpret_cast<const Session*>(session);
    if (rows != nullptr) *rows = static_cast<uint32_t>(s->s->batch());
    if (position != nullptr) *position = s->s->position();
  }
  static void end_fn(sf_onednn_session* session) { delete reinterpret_cast<Session*>(session); }
  static const Model* model_fn(const void* object) {
    return &static_cast<const ModelResource*>(object)->model();
  }

  static constexpr sf_onednn_step_v1 kStep{
      sizeof(sf_onednn_step_v1), &info_fn, &begin_fn, &step_fn, &reorder_fn, &shape_fn, &end_fn};
  static constexpr ModelHandleV1 kHandle{sizeof(ModelHandleV1), &model_fn};

  std::shared_ptr<const Model> model_;
  std::string why_not_;
};

class Run : public Transform<Run> {
 public:
  static constexpr Info info{
      "run",
      "Runs an onednn.model on a tensor field of each record: [T, F] f32 features (f16 and bf16 are "
      "converted; [T] is one feature per step, a waveform), or [T] i32/i64 token ids when the model starts "
      "with an embedding; writes [T', C] f32 (T' = T unless a convolution changes it). "
      "With `batch = { size = N, by_length = true }` the engine groups records of similar length; each "
      "record's "
      "output equals running it alone (padding never reaches another record, also in bidirectional RNNs and "
      "attention). A record with the wrong dtype, feature size or token range fails alone, naming its id.",
      R"([[stage]]
name = "am"
plugin = "onednn.run"
model = "acoustic"
input = "fbank"
output = "logits"
batch = { size = 16, by_length = true }
)"};
  static constexpr sf_param_decl params[] = {
      Param::resource("model", kModelInterface, "The [resources.X] entry of plugin onednn.model to run."),
      Param::field("input", "\"features\"",
                   "Tensor field with the sequence: [T, F] or [T] f32/f16/bf16, or [T] i32/i64 token ids."),
      Param::field("output", "\"logits\"", "Tensor field that receives the model's output [T', C] f32."),
      Param::field(
          "memory", "\"\"",
          "For models with transformer_decoder_layer: the f32 field [Tm, d_model] they cross-attend to "
          "(an encoder's output); \"\" for other models."),
      Param::integer(
          "threads", "1",
          "oneDNN (OpenMP) threads inside each call. The engine already runs one call per worker "
          "thread, so 1 uses every core without oversubscribing; raise it for few, large batches. "
          "With 2 or more, a unidirectional recurrent stack below batch 32 runs its layers side by "
          "side on two threads (a chunk of steps apart, each layer on one thread), and with 2 the "
          "matmul kernel runs a bidirectional layer's directions side by side; outputs are one "
          "thread's bytes. Capped at OMP_THREAD_LIMIT."),
  };
  static constexpr sf_field_decl fields[] = {
      Field::reads("input", "features", SF_FIELD_TENSOR, SF_DTYPE_ANY, "The input sequence."),
      Field::reads_optional("memory", "", SF_FIELD_TENSOR, SF_DTYPE_F32, "Decoder memory."),
      Field::reads_optional(nullptr, "id", SF_FIELD_STRING, SF_DTYPE_ANY, "Names records in error messages."),
      Field::writes("output", "logits", SF_FIELD_TENSOR, SF_DTYPE_F32, "The model's output."),
  };

  explicit Run(CreateContext& ctx) : ws_(static_cast<int>(ctx.param("threads").as_int())) {
    if (ctx.param("threads").as_int() < 1) throw Error("threads must be at least 1");
    auto [object, iface] = ctx.resource("model", kModelInterface, 1);
    model_ = static_cast<const ModelHandleV1*>(iface.vtable)->model(object);
    in_ = ctx.field_param("input");
    out_ = ctx.field_param("output");
    std::string mem = ctx.param("memory").as_string();
    if (model_->needs_memory() && mem.empty())
      throw Error("the model has transformer_decoder_layer layers: set `memory` to the field they attend to");
    if (!mem.empty()) mem_ = ctx.field(mem);
    try {
      id_ = ctx.field("id");
    } catch (const Error&) {
      id_ = Slot{};  // a pipeline without ids: errors name records by position
    }
  }

  void process_batch(Context& ctx, std::span<Record> records) {
    std::vector<SeqInput> in, mem;
    std::deque<std::vector<float>> converted;
    std::vector<Record> ok;
    std::vector<std::string> names;
    for (Record& r : records) {
      std::string name =
          id_ && r.has(id_) && r.type(id_) == SF_FIELD_STRING ? std::string(r.string(id_)) : "";
      std::string why;
      SeqInput s = input(r, in_, why, converted);
      SeqInput m;
      if (why.empty() && mem_) m = input(r, mem_, why, converted);
      if (why.empty()) why = model_->check(s, mem_ ? &m : nullptr);
      if (!why.empty()) {
        ctx.fail(r, (name.empty() ? std::string("record") : "record " + name) + ": " + why);
        continue;
      }
      ok.push_back(r);
      in.push_back(s);
      if (mem_) mem.push_back(m);
      names.push_back(name.empty() ? "(no id)" : name);
    }
    if (ok.empty()) return;
    BatchOutput out;
    try {
      out = model_->run(ws_, in, mem, names);
    } catch (const dnnl::error& e) {
      throw Error(std::string("oneDNN failed: ") + e.what(), SF_ERR_INTERNAL);
    }
    for (size_t i = 0; i < ok.size(); ++i) {
      int64_t shape[2] = {out.length(i), out.dim()};
      std::span<float> y = ok[i].make_tensor<float>(out_, std::span<const int64_t>(shape, 2));
      out.copy(i, y.data());
    }
  }

 private:
  // f16/bf16 values are converted into `converted`, which must outlive the run.
  static SeqInput input(Record& r, Slot slot, std::string& why, std::deque<std::vector<float>>& converted) {
    SeqInput s;
    if (!r.has(slot) || r.type(slot) != SF_FIELD_TENSOR) {
      why = "the input field is missing or not a tensor";
      return s;
    }
    Tensor t = r.tensor(slot);
    const bool real = t.dtype() == SF_DTYPE_F32 || t.dtype() == SF_DTYPE_F16 || t.dtype() == SF_DTYPE_BF16;
    if (real && (t.ndim() == 2 || t.ndim() == 1)) {
      s.length = t.dim(0);
      s.dim = t.ndim() == 2 ? t.dim(1) : 1;  // [T]: a waveform, one feature per step
      if (t.dtype() == SF_DTYPE_F32) {
        s.features = static_cast<const float*>(t.raw());
      } else {
        const size_t n = static_cast<size_t>(s.length * s.dim);
        const auto* h = static_cast<const uint16_t*>(t.raw());
        std::vector<float>& f = converted.emplace_back(n);
        for (size_t i = 0; i < n; ++i)
          f[i] = t.dtype() == SF_DTYPE_F16 ? f16_to_float(h[i]) : bf16_to_float(h[i]);
        s.features = f.data();
      }
    } else if ((t.dtype() == SF_DTYPE_I64 || t.dtype() == SF_DTYPE_I32) && t.ndim() == 1) {
      if (t.dtype() == SF_DTYPE_I64) s.tokens64 = static_cast<const int64_t*>(t.raw());
      else s.tokens32 = static_cast<const int32_t*>(t.raw());
      s.length = t.dim(0);
      s.dim = 1;
    } else {
      why = std::string("tensor is ") + dtype_name(t.dtype()) + " with " + std::to_string(t.ndim()) +
            " dims; expected [T, F] or [T] f32/f16/bf16 features, or [T] i32/i64 token ids";
    }
    return s;
  }

  Workspace ws_;
  const Model* model_ = nullptr;
  Slot in_, out_, mem_, id_;
};

}  // namespace
}  // namespace seqflow::onednn

SEQFLOW_MODULE(
    "onednn", "0.1.0",
    "PyTorch-compatible sequence models (RNNs, Transformers, convolutions) on oneDNN with safetensors "
    "weights, variable-length batching and a step interface for decoders",
    seqflow::ComponentList<seqflow::onednn::Run>, seqflow::ResourceList<seqflow::onednn::ModelResource>)
