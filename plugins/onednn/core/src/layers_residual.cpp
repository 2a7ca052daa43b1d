// Residual blocks: y = shortcut(x) + scale * body(x), the skip connection of ResNet-style
// convolution stacks (Jasper, QuartzNet, dilated DNA CNNs), of Transformer blocks written as separate
// modules, and of Conformer's half-step feed-forward modules (scale 0.5). The body and the optional
// shortcut are layer lists built and run as a model's (build_chain, forward_chain); without a
// shortcut the input itself is added. Gated blocks, y = body(x) * gate(x), are the same with a
// product: the gated MLPs of LLaMA-style models (SwiGLU: up(x) * silu(gate(x))).
//
// The block's input waits in a workspace slot of its own depth (kKeep0 + 2 * depth) while the body
// runs on the activation slots, and the body's output in the next while the shortcut runs, so blocks
// nest up to kMaxResidualDepth deep. Both branches must give a record the same steps and widths;
// a record they would give different lengths fails alone (length_error), a width mismatch known at
// build is a build error.
#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "onednn/layers.hpp"

namespace seqflow::onednn {

static_assert(kKeep0 + 2 * kMaxResidualDepth <= kNumSlots, "a workspace slot pair per residual depth");

Chain BuildCtx::branch(const std::vector<LayerConfig>& configs, const std::string& label) {
  Chain c = build_chain(configs, label, weights_, options, in_dim, in_channels, depth + 1);
  floats_read += c.weight_floats;
  names_read.insert(names_read.end(), c.names_read.begin(), c.names_read.end());
  branch_prefixes.insert(branch_prefixes.end(), c.prefixes.begin(), c.prefixes.end());
  return c;
}

namespace {

struct ResidualState : LayerState {
  std::vector<std::unique_ptr<LayerState>> body, shortcut;
};

class Residual : public Layer {
 public:
  Residual(bool gated, BuildCtx& ctx) : gated_(gated), depth_(ctx.depth) {
    if (depth_ >= kMaxResidualDepth)
      throw WeightsError(ctx.where() + ": residual and gated blocks nest at most " +
                         std::to_string(kMaxResidualDepth) + " deep");
    const std::vector<LayerConfig>* body = ctx.keys.get_layers("layers");
    if (body == nullptr || body->empty())
      throw WeightsError(
          ctx.where() +
          ": needs key 'layers', the block's body: a list of layer tables such as "
          "[{ type = \"conv1d\", prefix = \"block.conv\", padding = 1 }, { type = \"relu\" }]");
    const std::vector<LayerConfig>* shortcut = nullptr;
    if (gated_) {
      shortcut = ctx.keys.get_layers("gate");
      if (shortcut == nullptr || shortcut->empty())
        throw WeightsError(ctx.where() +
                           ": needs key 'gate', the list of layers whose output multiplies the "
                           "body's, such as [{ type = \"linear\", prefix = \"mlp.gate_proj\" }, "
                           "{ type = \"silu\" }]");
    } else {
      scale_ = static_cast<float>(ctx.keys.get_float("scale", 1.0));
      shortcut = ctx.keys.get_layers("shortcut");
    }
    const std::string& label = ctx.keys.label();
    other_ = gated_ ? "gate" : "shortcut";
    body_ = ctx.branch(*body, label);
    if (shortcut != nullptr && !shortcut->empty()) shortcut_ = ctx.branch(*shortcut, label + "." + other_);
    for (const Chain* c : {&body_, &shortcut_})
      for (const auto& l : c->layers)
        if (l->takes_tokens())
          throw WeightsError(l->where + ": an embedding must be the model's first layer, not in a " +
                             (gated_ ? "gated" : "residual") + " block");

    // Widths: each branch fixes its input's or passes it on; both must end at the same width.
    const bool has_shortcut = !shortcut_.layers.empty();
    in_dim = body_.in_dim;
    if (has_shortcut && shortcut_.in_dim >= 0) {
      if (in_dim >= 0 && in_dim != shortcut_.in_dim)
        throw WeightsError(ctx.where() + ": its body takes " + std::to_string(in_dim) +
                           " features per step and its " + other_ + " " + std::to_string(shortcut_.in_dim));
      in_dim = shortcut_.in_dim;
    }
    if (in_dim < 0) in_dim = ctx.in_dim;
    auto out = [&](const Chain& c) { return c.out_dim >= 0 ? c.out_dim : in_dim; };
    const int64_t body_out = out(body_), skip_out = has_shortcut ? out(shortcut_) : in_dim;
    if (body_out >= 0 && skip_out >= 0 && body_out != skip_out)
      throw WeightsError(
          ctx.where() + ": its body gives " + std::to_string(body_out) + " features per step and its " +
          (has_shortcut ? other_ + " " : std::string("input has ")) + std::to_string(skip_out) +
          (has_shortcut ? "" : ": a block that changes the width needs a shortcut (such as a linear)"));
    out_dim = body_out >= 0 ? body_out : skip_out;
    keeps_ = body_.open && (!has_shortcut || shortcut_.open);
    const int64_t skip_channels = has_shortcut ? shortcut_.channels : ctx.in_channels;
    out_channels = body_.channels == skip_channels ? body_.channels : 0;
    memory_dim_ = body_.memory_dim;
    if (shortcut_.memory_dim > 0) {
      if (memory_dim_ > 0 && memory_dim_ != shortcut_.memory_dim)
        throw WeightsError(ctx.where() + ": its body cross-attends to " + std::to_string(memory_dim_) +
                           " memory features and its shortcut to " + std::to_string(shortcut_.memory_dim));
      memory_dim_ = shortcut_.memory_dim;
    }
    step_unsupported_ = !body_.step_unsupported.empty() ? body_.step_unsupported : shortcut_.step_unsupported;
  }

  int64_t out_length(int64_t len) const override { return chain_out_length(body_.layers, len); }
  std::string length_error(int64_t len) const override {
    for (const Chain* c : {&body_, &shortcut_})
      if (std::string why = chain_length_error(c->layers, len); !why.empty()) return why;
    const int64_t body = chain_out_length(body_.layers, len);
    const int64_t skip = chain_out_length(shortcut_.layers, len);
    if (body > 0 && body != skip)
      return where + ": its body turns " + std::to_string(len) + " steps into " + std::to_string(body) +
             ", its " + (shortcut_.layers.empty() ? std::string("input has ") : other_ + " into ") +
             std::to_string(skip) + ": both branches must give a record the same steps";
    return "";
  }
  bool keeps_unknown_width() const override { return keeps_; }
  bool uses_memory() const override { return memory_dim_ > 0; }
  int64_t memory_dim() const override { return memory_dim_; }
  std::string step_unsupported() const override { return step_unsupported_; }

  void forward(Workspace& ws, Act& x, const Act* memory) const override {
    apply(ws, x, [&](const Chain& c, Act& a) { forward_chain(c.layers, 0, ws, a, memory); });
  }

  std::unique_ptr<LayerState> begin(Workspace& ws, int64_t batch, const Act* memory) const override {
    auto s = std::make_unique<ResidualState>();
    for (const auto& l : body_.layers) s->body.push_back(l->begin(ws, batch, memory));
    for (const auto& l : shortcut_.layers) s->shortcut.push_back(l->begin(ws, batch, memory));
    return s;
  }
  void step(Workspace& ws, Act& x, LayerState* state, int64_t pos) const override {
    auto* s = static_cast<ResidualState*>(state);
    apply(ws, x, [&](const Chain& c, Act& a) {
      auto& states = &c == &body_ ? s->body : s->shortcut;
      for (size_t i = 0; i < c.layers.size(); ++i) c.layers[i]->step(ws, a, states[i].get(), pos);
    });
  }
  void reorder(LayerState* state, std::span<const uint32_t> rows) const override {
    auto* s = static_cast<ResidualState*>(state);
    for (size_t i = 0; i < body_.layers.size(); ++i) body_.layers[i]->reorder(s->body[i].get(), rows);
    for (size_t i = 0; i < shortcut_.layers.size(); ++i)
      shortcut_.layers[i]->reorder(s->shortcut[i].get(), rows);
  }

 private:
  // `x` in `slot`, the same layout and rows.
  static Act copy_to(Workspace& ws, const Act& x, int slot) {
    Act y = x;
    y.slot = slot;
    y.data = ws.buf(slot, static_cast<size_t>(x.B * x.T * x.C));
    std::memcpy(y.data, x.data, static_cast<size_t>(x.B * x.T * x.C) * sizeof(float));
    return y;
  }

  // x = shortcut(x) + scale * body(x), or body(x) * gate(x); `run` runs a branch on an activation in place.
  template <typename Run>
  void apply(Workspace& ws, Act& x, Run run) const {
    const int keep = kKeep0 + 2 * depth_;
    Act in = copy_to(ws, x, keep);
    run(body_, x);
    Act body = x;
    if (!shortcut_.layers.empty()) {
      body = copy_to(ws, x, keep + 1);
      x = in;
      run(shortcut_, x);
    } else {
      x = in;
    }
    if (x.C != body.C)
      throw std::runtime_error(
          where + ": its body gives " + std::to_string(body.C) + " features per step, its " +
          (shortcut_.layers.empty() ? std::string("input has ") : other_ + " ") + std::to_string(x.C));
    // The sum lands in an activation slot: a later block at this depth reuses the keep slots.
    Act y = ws.next(x, x.C, Layout::kNTC);
    if (y.slot == body.slot) y = ws.next(body, x.C, Layout::kNTC);
    y.T = body.T;
    y.len = body.len;
    y.data = ws.buf(y.slot, static_cast<size_t>(y.B * y.T * y.C));
    const int64_t C = x.C;
    for (int64_t b = 0; b < y.B; ++b)
      for (int64_t t = 0; t < y.T; ++t) {
        float* o = y.row(b, t);
        if (t >= y.len[static_cast<size_t>(b)]) {
          std::fill(o, o + C, 0.f);
          continue;
        }
        const float* s = x.row(b, t);
        const float* f = body.row(b, t);
        if (gated_)
          for (int64_t c = 0; c < C; ++c) o[c] = f[c] * s[c];
        else
          for (int64_t c = 0; c < C; ++c) o[c] = s[c] + scale_ * f[c];
      }
    x = std::move(y);
  }

  Chain body_, shortcut_;  // shortcut_: a gated block's gate
  bool gated_ = false;
  std::string other_;  // "shortcut" or "gate", in messages
  float scale_ = 1.f;
  int depth_ = 0;
  bool keeps_ = true;
  int64_t memory_dim_ = 0;
  std::string step_unsupported_;
};

}  // namespace

std::unique_ptr<Layer> make_residual(bool gated, BuildCtx& ctx) {
  return std::make_unique<Residual>(gated, ctx);
}

}  // namespace seqflow::onednn
