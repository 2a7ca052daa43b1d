#include "generate_stage.hpp"

#include "step_model.hpp"

#include <cmath>

namespace seqflow::decode {

Generate::Generate(CreateContext& ctx)
    : input_name_(ctx.param("input").as_string()),
      memory_name_(ctx.param("memory").as_string()),
      id_(ctx.field("id")),
      out_(ctx.field_param("output")),
      score_(ctx.field_param("score")),
      scores_(ctx.field_param("scores")) {
  if (!input_name_.empty()) in_ = ctx.field(input_name_);
  if (!memory_name_.empty()) memory_ = ctx.field(memory_name_);
  auto [object, iface] = ctx.resource("model", SF_ONEDNN_STEP_INTERFACE, SF_ONEDNN_STEP_VERSION);
  model_ = object;
  step_ = static_cast<const sf_onednn_step_v1*>(iface.vtable);
  info_.struct_size = sizeof(info_);
  step_->info(model_, &info_);
  const std::string model_name = "model '" + ctx.param("model").as_string() + "'";
  if (!info_.can_step)
    throw Error(model_name + " cannot be stepped: " + std::string(info_.why_not ? info_.why_not : "") +
                "; decode.generate needs a causal decoder");
  if (!info_.takes_tokens)
    throw Error(model_name +
                " takes features, not token ids; decode.generate needs a model whose first layer is "
                "an embedding");
  if (info_.memory_dim > 0 && memory_name_.empty())
    throw Error(model_name + " cross-attends to a memory of " + std::to_string(info_.memory_dim) +
                " features: set `memory` to the field holding it");
  if (info_.memory_dim == 0 && !memory_name_.empty())
    throw Error(model_name + " has no cross-attention, but `memory` names field '" + memory_name_ +
                "': remove it");
  threads_ = std::max<uint32_t>(1, ctx.intra_op_threads());
  const int64_t V = info_.output_dim;
  const std::string mode = ctx.param("mode").as_string();
  opt_.mode = mode == "beam" ? GenMode::kBeam : mode == "sample" ? GenMode::kSample : GenMode::kGreedy;
  opt_.max_new_tokens = ctx.param("max_new_tokens").as_int();
  opt_.min_new_tokens = ctx.param("min_new_tokens").as_int();
  opt_.num_beams = static_cast<int32_t>(ctx.param("num_beams").as_int());
  opt_.length_penalty = ctx.param("length_penalty").as_float();
  const std::string es = ctx.param("early_stopping").as_string();
  opt_.early_stopping = es == "true"    ? EarlyStopping::kTrue
                        : es == "never" ? EarlyStopping::kNever
                                        : EarlyStopping::kFalse;
  opt_.num_return_sequences = static_cast<int32_t>(ctx.param("num_return_sequences").as_int());
  opt_.no_repeat_ngram_size = static_cast<int32_t>(ctx.param("no_repeat_ngram_size").as_int());
  opt_.repetition_penalty = ctx.param("repetition_penalty").as_float();
  opt_.temperature = ctx.param("temperature").as_float();
  opt_.top_k = ctx.param("top_k").as_int();
  opt_.top_p = ctx.param("top_p").as_float();
  opt_.min_p = ctx.param("min_p").as_float();
  opt_.seed = static_cast<uint64_t>(ctx.param("seed").as_int());
  bos_ = ctx.param("bos_token_id").as_int();
  start_ = ctx.param("decoder_start_token_id").as_int();
  auto vocab_check = [&](const char* what, int64_t id) {
    if (id < 0 || id >= V)
      throw Error(std::string(what) + " " + std::to_string(id) + " is outside the vocabulary of " +
                  model_name + " (ids 0.." + std::to_string(V - 1) + ")");
  };
  Value eos = ctx.param("eos_token_id");
  for (size_t i = 0; i < eos.size(); ++i) {
    if (eos[i].kind() != SF_VALUE_INT) throw Error("eos_token_id must list integers");
    vocab_check("eos_token_id", eos[i].as_int());
    opt_.eos.push_back(eos[i].as_int());
  }
  if (bos_ != -1) vocab_check("bos_token_id", bos_);
  if (start_ != -1) vocab_check("decoder_start_token_id", start_);
  if (opt_.max_new_tokens < 1) throw Error("max_new_tokens must be at least 1");
  if (opt_.min_new_tokens < 0) throw Error("min_new_tokens must be >= 0");
  if (opt_.mode == GenMode::kBeam && opt_.num_beams < 2)
    throw Error("mode = \"beam\" needs num_beams >= 2 (num_beams = 1 is mode = \"greedy\")");
  if (opt_.mode != GenMode::kBeam && opt_.num_beams != 1)
    throw Error("num_beams = " + std::to_string(opt_.num_beams) + " needs mode = \"beam\"");
  if (opt_.num_return_sequences < 1) throw Error("num_return_sequences must be at least 1");
  if (opt_.mode == GenMode::kBeam && opt_.num_return_sequences > opt_.num_beams)
    throw Error("num_return_sequences (" + std::to_string(opt_.num_return_sequences) +
                ") must not exceed num_beams (" + std::to_string(opt_.num_beams) + ")");
  if (opt_.mode == GenMode::kGreedy && opt_.num_return_sequences != 1)
    throw Error(
        "greedy search returns one sequence: num_return_sequences must be 1 (use mode = \"beam\" or "
        "\"sample\")");
  if (!(opt_.temperature > 0) || !std::isfinite(opt_.temperature)) throw Error("temperature must be > 0");
  if (opt_.top_k < 0) throw Error("top_k must be >= 0");
  if (!(opt_.top_p > 0 && opt_.top_p <= 1)) throw Error("top_p must be in (0, 1]");
  if (!(opt_.min_p >= 0 && opt_.min_p <= 1)) throw Error("min_p must be in [0, 1]");
  if (!(opt_.repetition_penalty > 0)) throw Error("repetition_penalty must be > 0");
  if (opt_.no_repeat_ngram_size < 0) throw Error("no_repeat_ngram_size must be >= 0");
  if (!std::isfinite(opt_.length_penalty)) throw Error("length_penalty must be finite");
}

void Generate::process_batch(Context& ctx, std::span<Record> records) {
  const int64_t V = info_.output_dim;
  std::vector<GenerateRequest> reqs;
  std::vector<Record> ok;
  for (Record& r : records) {
    try {
      GenerateRequest q;
      if (in_ && r.has(in_)) {
        Tensor t = r.tensor(in_);
        if (t.ndim() != 1) throw Error("field '" + input_name_ + "' must be a 1-D tensor of token ids");
        if (t.dtype() == SF_DTYPE_I64) {
          for (int64_t v : t.data<int64_t>()) q.prompt.push_back(v);
        } else if (t.dtype() == SF_DTYPE_I32) {
          for (int32_t v : t.data<int32_t>()) q.prompt.push_back(v);
        } else {
          throw Error("field '" + input_name_ + "' has dtype " + dtype_name(t.dtype()) +
                      "; token ids are i32 or i64");
        }
        for (size_t i = 0; i < q.prompt.size(); ++i)
          if (q.prompt[i] < 0 || q.prompt[i] >= V)
            throw Error("prompt id " + std::to_string(q.prompt[i]) + " at position " + std::to_string(i) +
                        " is outside the vocabulary (0.." + std::to_string(V - 1) + ")");
      }
      if (q.prompt.empty()) {
        const int64_t first = info_.memory_dim > 0 ? start_ : bos_;
        if (first < 0)
          throw Error(std::string("the record has no prompt ids and ") +
                      (info_.memory_dim > 0 ? "decoder_start_token_id" : "bos_token_id") + " is not set");
        q.prompt.push_back(first);
      }
      if (memory_) {
        Tensor m = r.tensor(memory_);
        if (m.dtype() != SF_DTYPE_F32 || m.ndim() != 2 || m.dim(1) != info_.memory_dim || m.dim(0) < 1)
          throw Error("field '" + memory_name_ + "' must be an f32 tensor [Tm, " +
                      std::to_string(info_.memory_dim) + "]");
        q.memory.struct_size = sizeof(sf_tensor_view);
        q.memory.dtype = SF_DTYPE_F32;
        q.memory.ndim = 2;
        q.memory.shape[0] = m.dim(0);
        q.memory.shape[1] = m.dim(1);
        q.memory.data = m.raw();
        q.memory.nbytes = m.nbytes();
      }
      q.key = request_key(std::string(r.string(id_)));
      reqs.push_back(std::move(q));
      ok.push_back(r);
    } catch (const std::exception& e) {
      ctx.fail(r, e.what());
    }
  }
  if (reqs.empty()) return;
  OnednnStepModel model(model_, step_, V, threads_);
  std::vector<GenerateResult> results = generate(model, opt_, reqs, info_.memory_dim > 0);
  for (size_t i = 0; i < ok.size(); ++i) {
    const GenerateResult& g = results[i];
    const auto n = static_cast<int64_t>(g.sequences.size());
    size_t longest = 0;
    for (const auto& s : g.sequences) longest = std::max(longest, s.size());
    if (opt_.num_return_sequences == 1) {
      auto ids = ok[i].make_tensor<int32_t>(out_, {static_cast<int64_t>(g.sequences[0].size())});
      for (size_t j = 0; j < g.sequences[0].size(); ++j) ids[j] = static_cast<int32_t>(g.sequences[0][j]);
    } else {
      auto ids = ok[i].make_tensor<int32_t>(out_, {n, static_cast<int64_t>(longest)});
      for (int64_t k = 0; k < n; ++k)
        for (size_t j = 0; j < longest; ++j)
          ids[k * longest + j] = j < g.sequences[k].size() ? static_cast<int32_t>(g.sequences[k][j]) : -1;
    }
    ok[i].set_float(score_, g.scores[0]);
    auto sc = ok[i].make_tensor<float>(scores_, {n});
    for (int64_t k = 0; k < n; ++k) sc[k] = static_cast<float>(g.scores[k]);
  }
}

}  // namespace seqflow::decode
