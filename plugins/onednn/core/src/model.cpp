#include "onednn/model.hpp"

#include <algorithm>
#include <cstring>
#include <set>
#include <stdexcept>

namespace seqflow::onednn {

void BatchOutput::copy(size_t i, float* dst) const {
  const int64_t row = index_[i];
  if (row < 0) return;
  const size_t bytes = static_cast<size_t>(act_.C) * sizeof(float);
  for (int64_t t = 0; t < lengths_[i]; ++t) std::memcpy(dst + t * act_.C, act_.row(row, t), bytes);
}

namespace {

bool is_float(StDtype d) {
  return d == StDtype::kF64 || d == StDtype::kF32 || d == StDtype::kF16 || d == StDtype::kBF16;
}

// A weight under a layer's prefix that no layer read means the layer's keys describe another module
// than the one saved (num_layers = 1 for a two-layer LSTM, bias = false for a Linear with a bias):
// running it would give wrong numbers without a word, so it is an error, as PyTorch's strict
// load_state_dict refuses unexpected keys. BatchNorm's num_batches_tracked counts training steps,
// whatever dtype a conversion gave it.
void check_all_read(const SafetensorsFile& weights,
                    const std::vector<std::pair<std::string, std::string>>& prefixes,
                    const std::set<std::string>& read) {
  std::vector<std::vector<const StTensor*>> unused(prefixes.size());
  for (const StTensor& t : weights.tensors()) {
    static const std::string kCounter = ".num_batches_tracked";
    const bool counter = t.name.size() >= kCounter.size() &&
                         t.name.compare(t.name.size() - kCounter.size(), kCounter.size(), kCounter) == 0;
    if (!is_float(t.dtype) || counter || read.count(t.name) != 0) continue;
    size_t owner = prefixes.size();
    for (size_t i = 0; i < prefixes.size(); ++i) {
      const std::string& p = prefixes[i].first;
      const bool under = t.name == p || (t.name.size() > p.size() && t.name.compare(0, p.size(), p) == 0 &&
                                         t.name[p.size()] == '.');
      if (under && (owner == prefixes.size() || p.size() > prefixes[owner].first.size())) owner = i;
    }
    if (owner < prefixes.size()) unused[owner].push_back(&t);
  }
  for (size_t i = 0; i < prefixes.size(); ++i) {
    const std::vector<const StTensor*>& u = unused[i];
    if (u.empty()) continue;
    std::string names;
    for (size_t k = 0; k < u.size() && k < 6; ++k)
      names += (k ? ", '" : "'") + u[k]->name + "' " + shape_str(u[k]->shape);
    if (u.size() > 6) names += " and " + std::to_string(u.size() - 6) + " more";
    throw WeightsError(prefixes[i].second + ": " + weights.label() + " has " +
                       (u.size() == 1 ? "a parameter" : std::to_string(u.size()) + " parameters") +
                       " under the layer's prefix that the layer does not use (" + names +
                       "): the keys that decide which parameters the module has (num_layers, bidirectional, "
                       "proj_size, bias, elementwise_affine, affine, track_running_stats) do not match the "
                       "saved module (PyTorch's strict load_state_dict refuses it too)");
  }
}

}  // namespace

Chain build_chain(const std::vector<LayerConfig>& configs, const std::string& parent,
                  const SafetensorsFile& weights, const ModelOptions& options, int64_t in_dim,
                  int64_t in_channels, int depth) {
  Chain c;
  c.channels = in_channels;
  auto label = [&](size_t i) {
    return parent.empty() ? "layer " + std::to_string(i) : parent + "." + std::to_string(i);
  };
  std::vector<std::pair<LayerConfig, size_t>> all;  // stacks unrolled, each with its index in `configs`
  for (size_t i = 0; i < configs.size(); ++i) {
    ExpandedLayer e = expand_stack(configs[i], label(i), weights);
    if (!e.prefix.empty()) c.prefixes.emplace_back(e.prefix, e.where);
    for (LayerConfig& l : e.layers) all.emplace_back(std::move(l), i);
  }
  int64_t dim = in_dim;
  Layer* unbound = nullptr;  // a flatten waiting for a later layer's input size
  for (const auto& [config, i] : all) {
    KeyReader keys(config, label(i));
    BuildCtx ctx(weights, options, keys, dim, depth > 0 ? i + 1 : i);
    ctx.in_channels = c.channels;
    ctx.depth = depth;
    std::unique_ptr<Layer> l = make_layer(config, ctx);
    if (l->out_channels >= 0) c.channels = l->out_channels;
    c.weight_floats += ctx.floats_read;
    c.names_read.insert(c.names_read.end(), ctx.names_read.begin(), ctx.names_read.end());
    if (!ctx.layer_prefix.empty()) c.prefixes.emplace_back(ctx.layer_prefix, l->where);
    c.prefixes.insert(c.prefixes.end(), ctx.branch_prefixes.begin(), ctx.branch_prefixes.end());
    if (c.open && (l->in_dim >= 0 || l->takes_tokens())) {
      if (!l->takes_tokens()) c.in_dim = l->in_dim;
      c.open = false;
    }
    if (l->in_dim < 0 && !l->keeps_unknown_width()) c.open = false;
    if (unbound != nullptr && l->in_dim >= 0) {
      unbound->bind_output(l->in_dim);
      unbound = nullptr;
    }
    if (l->needs_output_binding()) unbound = l.get();
    dim = l->out_dim;
    if (l->uses_memory()) {
      if (c.memory_dim > 0 && c.memory_dim != l->memory_dim())
        throw WeightsError(l->where + ": cross-attends to " + std::to_string(l->memory_dim()) +
                           " memory features, an earlier layer to " + std::to_string(c.memory_dim));
      c.memory_dim = l->memory_dim();
    }
    if (c.step_unsupported.empty()) c.step_unsupported = l->step_unsupported();
    c.layers.push_back(std::move(l));
  }
  if (unbound != nullptr)
    throw WeightsError(unbound->where +
                       ": needs a later layer with a fixed input size (such as a linear) to know how many "
                       "steps it flattens");
  c.out_dim = dim;
  return c;
}

void forward_chain(const std::vector<std::unique_ptr<Layer>>& layers, size_t first, Workspace& ws, Act& x,
                   const Act* memory) {
  for (size_t i = first; i < layers.size(); ++i) {
    // A width fixed at build can still meet another after a layer whose width follows its input's
    // (conv2d after an input of unknown width): never let a layer read rows of another size.
    if (layers[i]->in_dim >= 0 && x.C != layers[i]->in_dim)
      throw std::runtime_error(layers[i]->where + ": gets " + std::to_string(x.C) +
                               " features per step, expects " + std::to_string(layers[i]->in_dim));
    layers[i]->forward(ws, x, memory);
    if (!x.all_full()) x.zero_padding();  // the invariant of Act
  }
}

int64_t chain_out_length(const std::vector<std::unique_ptr<Layer>>& layers, int64_t len) {
  for (const auto& l : layers) len = l->out_length(len);
  return len;
}

std::string chain_length_error(const std::vector<std::unique_ptr<Layer>>& layers, int64_t len) {
  for (const auto& l : layers) {
    if (len <= 0) break;
    std::string why = l->length_error(len);
    if (!why.empty()) return why;
    len = l->out_length(len);
  }
  return "";
}

std::shared_ptr<const Model> Model::build(const std::vector<LayerConfig>& layers,
                                          const SafetensorsFile& weights, const ModelOptions& options) {
  if (layers.empty()) throw WeightsError("the model has no layers");
  Chain c = build_chain(layers, "", weights, options, -1, 0, 0);
  check_all_read(weights, c.prefixes, std::set<std::string>(c.names_read.begin(), c.names_read.end()));
  std::shared_ptr<Model> m(new Model());
  m->layers_ = std::move(c.layers);
  m->input_dim_ = std::max<int64_t>(c.in_dim, 0);
  m->output_dim_ = c.out_dim;
  m->memory_dim_ = c.memory_dim;
  m->weight_floats_ = c.weight_floats;
  m->step_unsupported_ = std::move(c.step_unsupported);
  return m;
}

Model::~Model() = default;

bool Model::takes_tokens() const { return layers_.front()->takes_tokens(); }

int64_t Model::output_length(int64_t length) const { return chain_out_length(layers_, length); }

std::string Model::summary() const {
  std::string s;
  for (const auto& l : layers_)
    s += l->where + ": " + (l->in_dim < 0 ? std::string("*") : std::to_string(l->in_dim)) + " -> " +
         (l->out_dim < 0 ? std::string("*") : std::to_string(l->out_dim)) + "\n";
  return s;
}

std::string Model::check(const SeqInput& in, const SeqInput* memory) const {
  if (takes_tokens()) {
    if (in.tokens32 == nullptr && in.tokens64 == nullptr)
      return "the model starts with an embedding and needs integer token ids";
    const int64_t vocab = layers_.front()->vocab_size();
    for (int64_t t = 0; t < in.length; ++t) {
      const int64_t id = in.tokens64 ? in.tokens64[t] : in.tokens32[t];
      if (id < 0 || id >= vocab)
        return "step " + std::to_string(t) + ": token id " + std::to_string(id) +
               " is outside the embedding's range [0, " + std::to_string(vocab) + ")";
    }
  } else {
    if (in.features == nullptr) return "the model needs f32 features, not token ids";
    if (input_dim_ > 0 && in.dim != input_dim_)
      return "has " + std::to_string(in.dim) + " features per step, the model expects " +
             std::to_string(input_dim_);
  }
  if (std::string why = chain_length_error(layers_, in.length); !why.empty())
    return std::to_string(in.length) + " steps: " + why;
  const int64_t len = output_length(in.length);
  if (in.length > 0 && len <= 0)
    return std::to_string(in.length) + " steps are too few for the model's convolutions and pooling";
  if (needs_memory()) {
    if (memory == nullptr || memory->features == nullptr)
      return "the model's decoder layers need an f32 memory sequence";
    if (memory->length <= 0) return "the memory sequence is empty";
    if (memory->dim != memory_dim_)
      return "memory has " + std::to_string(memory->dim) + " features per step, the model expects " +
             std::to_string(memory_dim_);
  }
  return "";
}

int64_t Model::batch_steps(std::span<const SeqInput> in, const std::vector<size_t>& rows) const {
  int64_t T = 0;
  for (size_t r : rows) T = std::max(T, in[r].length);
  const double flops = 2.0 * static_cast<double>(weight_floats_) * static_cast<double>(rows.size() * T);
  if (flops >= kPadBelowFlops) return T;
  return round_steps(T);
}

Act Model::gather(Workspace& ws, std::span<const SeqInput> in, const std::vector<size_t>& rows, int slot,
                  int64_t dim, bool tokens, std::span<const std::string> names, const char* what,
                  int64_t steps) const {
  auto name = [&](size_t i) {
    return i < names.size() ? std::string(what) + " " + names[i]
                            : std::string(what) + " " + std::to_string(i);
  };
  Act x;
  x.layout = Layout::kNTC;
  x.B = static_cast<int64_t>(rows.size());
  x.T = steps;
  for (size_t r : rows) x.T = std::max(x.T, in[r].length);
  if (!tokens) {
    x.C = dim;
    for (size_t r : rows)
      if (in[r].dim != dim && dim > 0)
        throw std::runtime_error(name(r) + ": has " + std::to_string(in[r].dim) +
                                 " features per step, the model expects " + std::to_string(dim));
    if (dim <= 0) x.C = in[rows[0]].dim;
    for (size_t r : rows)
      if (in[r].dim != x.C)
        throw std::runtime_error(name(r) + ": has " + std::to_string(in[r].dim) +
                                 " features per step, the batch's first record " + std::to_string(x.C));
  } else {
    x.C = layers_.front()->out_dim;
  }
  x.slot = slot;
  x.data = ws.buf(slot, static_cast<size_t>(x.B * x.T * x.C));
  std::vector<int64_t> ids;
  for (int64_t b = 0; b < x.B; ++b) {
    const SeqInput& s = in[rows[static_cast<size_t>(b)]];
    x.len.push_back(s.length);
    if (tokens) {
      ids.resize(static_cast<size_t>(s.length));
      if (s.tokens64) std::copy(s.tokens64, s.tokens64 + s.length, ids.begin());
      else if (s.tokens32) std::copy(s.tokens32, s.tokens32 + s.length, ids.begin());
      else
        throw std::runtime_error(name(rows[b]) +
                                 ": the model starts with an embedding and needs integer token ids");
      layers_.front()->embed(ids.data(), s.length, x.row(b, 0), name(rows[b]));
    } else {
      if (s.features == nullptr)
        throw std::runtime_error(name(rows[b]) + ": the model needs f32 features, not token ids");
      std::memcpy(x.row(b, 0), s.features, static_cast<size_t>(s.length * x.C) * sizeof(float));
    }
    if (s.length < x.T)
      std::memset(x.row(b, s.length), 0, static_cast<size_t>((x.T - s.length) * x.C) * sizeof(float));
  }
  return x;
}

BatchOutput Model::run(Workspace& ws, std::span<const SeqInput> inputs, std::span<const SeqInput> memory,
                       std::span<const std::string> names) const {
  ws.bind();
  if (needs_memory() && memory.size() != inputs.size())
    throw std::runtime_error("the model's decoder layers need a memory sequence for each record");
  BatchOutput out;
  out.index_.assign(inputs.size(), -1);
  out.lengths_.assign(inputs.size(), 0);
  std::vector<size_t> rows;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].length <= 0) continue;  // an empty sequence gives an empty output
    std::string why = check(inputs[i], needs_memory() ? &memory[i] : nullptr);
    if (!why.empty())
      throw std::runtime_error((i < names.size() ? "record " + names[i] : "record " + std::to_string(i)) +
                               ": " + why);
    const int64_t len = output_length(inputs[i].length);
    out.index_[i] = static_cast<int64_t>(rows.size());
    out.lengths_[i] = len;
    rows.push_back(i);
  }
  if (rows.empty()) {
    out.act_.C = output_dim_ > 0 ? output_dim_ : 0;
    return out;
  }
  Act mem_act;
  if (needs_memory()) {
    mem_act = gather(ws, memory, rows, kMemory, memory_dim_, false, names, "record");
  }
  Act x =
      gather(ws, inputs, rows, kActA, input_dim_, takes_tokens(), names, "record", batch_steps(inputs, rows));
  forward_chain(layers_, takes_tokens() ? 1 : 0, ws, x, needs_memory() ? &mem_act : nullptr);
  ws.stream().wait();
  out.act_ = std::move(x);
  return out;
}

std::unique_ptr<StepSession> Model::begin(int threads, int64_t batch,
                                          std::span<const SeqInput> memory) const {
  if (!step_unsupported_.empty())
    throw std::runtime_error("the model cannot run one step at a time: " + step_unsupported_);
  if (batch <= 0) throw std::runtime_error("a step session needs at least one row");
  if (needs_memory() && static_cast<int64_t>(memory.size()) != batch)
    throw std::runtime_error("the model's decoder layers need one memory sequence per row (" +
                             std::to_string(batch) + "), got " + std::to_string(memory.size()));
  std::unique_ptr<StepSession> s(new StepSession(*this, threads));
  s->ws_.bind();
  s->batch_ = batch;
  Act mem_act;
  if (needs_memory()) {
    std::vector<size_t> rows(static_cast<size_t>(batch));
    for (size_t i = 0; i < rows.size(); ++i) {
      rows[i] = i;
      if (memory[i].length <= 0)
        throw std::runtime_error("row " + std::to_string(i) + ": the memory sequence is empty");
    }
    mem_act = gather(s->ws_, memory, rows, kMemory, memory_dim_, false, {}, "row");
  }
  for (const auto& l : layers_)
    s->states_.push_back(l->begin(s->ws_, batch, needs_memory() ? &mem_act : nullptr));
  return s;
}

StepSession::~StepSession() = default;

void StepSession::run(Act& x, float* out) {
  for (size_t i = model_.takes_tokens() ? 1 : 0; i < model_.layers_.size(); ++i)
    model_.layers_[i]->step(ws_, x, states_[i].get(), pos_);
  ws_.stream().wait();
  ws_.to_layout(x, Layout::kNTC);
  std::memcpy(out, x.data, static_cast<size_t>(x.B * x.C) * sizeof(float));
  ++pos_;
}

void StepSession::step_tokens(const int64_t* tokens, float* out) {
  if (!model_.takes_tokens()) throw std::runtime_error("the model reads features, not token ids");
  ws_.bind();
  Act x;
  x.B = batch_;
  x.T = 1;
  x.C = model_.layers_.front()->out_dim;
  x.len.assign(static_cast<size_t>(batch_), 1);
  x.slot = kActA;
  x.data = ws_.buf(kActA, static_cast<size_t>(x.B * x.C));
  const int64_t vocab = model_.layers_.front()->vocab_size();
  for (int64_t b = 0; b < batch_; ++b)
    if (tokens[b] < 0 || tokens[b] >= vocab)
      throw std::runtime_error("row " + std::to_string(b) + ", step " + std::to_string(pos_) + ": token id " +
                               std::to_string(tokens[b]) + " is outside the embedding's range [0, " +
                               std::to_string(vocab) + ")");
  for (int64_t b = 0; b < batch_; ++b) model_.layers_.front()->embed(tokens + b, 1, x.row(b, 0), "row");
  run(x, out);
}

void StepSession::step_features(const float* features, float* out) {
  if (model_.takes_tokens()) throw std::runtime_error("the model reads token ids, not features");
  if (model_.input_dim_ <= 0) throw std::runtime_error("the model does not fix its input size");
  ws_.bind();
  Act x;
  x.B = batch_;
  x.T = 1;
  x.C = model_.input_dim_;
  x.len.assign(static_cast<size_t>(batch_), 1);
  x.slot = kActA;
  x.data = ws_.buf(kActA, static_cast<size_t>(x.B * x.C));
  std::memcpy(x.data, features, static_cast<size_t>(x.B * x.C) * sizeof(float));
  run(x, out);
}

void StepSession::reorder(std::span<const uint32_t> rows) {
  if (rows.empty()) throw std::runtime_error("reorder needs at least one row");
  for (uint32_t r : rows)
    if (r >= batch_)
      throw std::runtime_error("reorder: row " + std::to_string(r) + " is outside the session's " +
                               std::to_string(batch_) + " rows");
  for (size_t i = 0; i < model_.layers_.size(); ++i) model_.layers_[i]->reorder(states_[i].get(), rows);
  batch_ = static_cast<int64_t>(rows.size());
}

}  // namespace seqflow::onednn
