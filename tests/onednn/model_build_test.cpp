// Model building and run-time errors, and small hand-computed models.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "fixture_util.hpp"
#include "onednn/model.hpp"

using namespace seqflow::onednn;

namespace {

using fixture::weights;

std::vector<float> filled(size_t n, float v = 0.1f) { return std::vector<float>(n, v); }

LayerConfig layer(const std::string& type,
                  std::initializer_list<std::pair<const char*, ConfigValue>> keys = {}) {
  LayerConfig c;
  c.type = type;
  for (const auto& [k, v] : keys) c.set(k, v);
  return c;
}
ConfigValue S(const char* s) { return ConfigValue::string(s); }
ConfigValue I(int64_t i) { return ConfigValue::integer(i); }
ConfigValue B(bool b) { return ConfigValue::boolean(b); }

auto lstm_weights(const std::string& p, int64_t in, int64_t h) {
  return std::map<std::string, std::pair<std::vector<int64_t>, std::vector<float>>>{
      {p + ".weight_ih_l0", {{4 * h, in}, filled(static_cast<size_t>(4 * h * in))}},
      {p + ".weight_hh_l0", {{4 * h, h}, filled(static_cast<size_t>(4 * h * h))}},
      {p + ".bias_ih_l0", {{4 * h}, filled(static_cast<size_t>(4 * h))}},
      {p + ".bias_hh_l0", {{4 * h}, filled(static_cast<size_t>(4 * h))}}};
}

void expect_build_error(const std::vector<LayerConfig>& layers, const SafetensorsFile& w,
                        const std::string& fragment) {
  CHECK_THROWS_AS(Model::build(layers, w), WeightsError);
  CHECK_THROWS_WITH(Model::build(layers, w), Catch::Matchers::Contains(fragment));
}

}  // namespace

TEST_CASE("a hand-computed linear + relu + softmax model", "[onednn][model]") {
  // y = relu(x W^T + b) with W = [[1, 2], [3, 4], [-1, -1]], b = [0.5, -1, 0].
  auto w = weights({{"fc.weight", {{3, 2}, {1, 2, 3, 4, -1, -1}}}, {"fc.bias", {{3}, {0.5f, -1, 0}}}});
  auto m = Model::build({layer("linear", {{"prefix", S("fc")}}), layer("relu")}, *w);
  CHECK(m->input_dim() == 2);
  CHECK(m->output_dim() == 3);
  std::vector<float> x = {1, 1, 2, -1};  // two steps
  SeqInput in;
  in.features = x.data();
  in.length = 2;
  in.dim = 2;
  Workspace ws;
  BatchOutput out = m->run(ws, {&in, 1});
  std::vector<float> y(6);
  out.copy(0, y.data());
  CHECK(y == std::vector<float>{3.5f, 6.0f, 0.0f, 0.5f, 1.0f, 0.0f});

  auto sm = Model::build({layer("softmax")}, *w);
  std::vector<float> z = {0.f, std::log(3.f)};
  in.features = z.data();
  in.length = 1;
  BatchOutput o2 = sm->run(ws, {&in, 1});
  std::vector<float> p(2);
  o2.copy(0, p.data());
  CHECK(p[0] == Approx(0.25f));
  CHECK(p[1] == Approx(0.75f));
}

TEST_CASE("missing, misnamed and mis-shaped parameters are named with their shapes", "[onednn][model]") {
  auto w = weights(lstm_weights("rnn", 6, 8));
  expect_build_error(
      {layer("lstm", {{"prefix", S("rnn")}, {"num_layers", I(2)}})}, *w,
      "layer 0 (lstm, prefix 'rnn'): parameter 'rnn.weight_ih_l1' is missing from m.safetensors; it has "
      "'rnn.bias_hh_l0'");
  expect_build_error({layer("lstm", {{"prefix", S("rn")}})}, *w, "(did you mean 'rnn.weight_ih_l0'?)");
  expect_build_error({layer("lstm", {{"prefix", S("rnn")}, {"hidden_size", I(9)}})}, *w,
                     "parameter 'rnn.weight_ih_l0' has shape [32, 6], expected [36, 6]");
  expect_build_error({layer("lstm", {{"prefix", S("rnn")}, {"bidirectional", B(true)}})}, *w,
                     "parameter 'rnn.weight_ih_l0_reverse' is missing");
  expect_build_error({layer("lstm")}, *w, "needs key 'prefix'");

  auto lin = weights({{"a.weight", {{7, 4}, filled(28)}},
                      {"a.bias", {{7}, filled(7)}},
                      {"b.weight", {{3, 5}, filled(15)}},
                      {"b.bias", {{3}, filled(3)}}});
  expect_build_error(
      {layer("linear", {{"prefix", S("a")}}), layer("linear", {{"prefix", S("b")}})}, *lin,
      "layer 1 (linear, prefix 'b'): in_features is 5, but the previous layer outputs 7 features");
}

TEST_CASE("keys that decide a module's parameters default to the file's; a parameter left unused is an error",
          "[onednn][model]") {
  // A two-layer bidirectional LSTM without biases, with a projection: 6 inputs, hidden 8, proj 4.
  std::map<std::string, std::pair<std::vector<int64_t>, std::vector<float>>> t;
  for (const char* l : {"_l0", "_l1"})
    for (const char* d : {"", "_reverse"}) {
      const int64_t in = std::string(l) == "_l0" ? 6 : 8;
      t[std::string("rnn.weight_ih") + l + d] = {{32, in}, filled(static_cast<size_t>(32 * in))};
      t[std::string("rnn.weight_hh") + l + d] = {{32, 4}, filled(128)};
      t[std::string("rnn.weight_hr") + l + d] = {{4, 8}, filled(32)};
    }
  t["head.weight"] = {{3, 8}, filled(24)};
  t["head.bias"] = {{3}, filled(3)};
  t["bn.weight"] = {{3}, filled(3)};
  t["bn.bias"] = {{3}, filled(3)};
  t["bn.running_mean"] = {{3}, filled(3)};
  t["bn.running_var"] = {{3}, filled(3)};
  t["bn.num_batches_tracked"] = {{}, {7.f}};  // a training counter, whatever its dtype
  auto w = weights(t);
  auto m = Model::build({layer("lstm", {{"prefix", S("rnn")}}), layer("linear", {{"prefix", S("head")}}),
                         layer("batch_norm", {{"prefix", S("bn")}})},
                        *w);
  CHECK(m->input_dim() == 6);
  CHECK(m->summary() ==
        "layer 0 (lstm, prefix 'rnn'): 6 -> 8\n"
        "layer 1 (linear, prefix 'head'): 8 -> 3\n"
        "layer 2 (batch_norm, prefix 'bn'): 3 -> 3\n");

  const LayerConfig head = layer("linear", {{"prefix", S("head")}});
  expect_build_error(
      {layer("lstm", {{"prefix", S("rnn")}, {"num_layers", I(1)}}), head}, *w,
      "layer 0 (lstm, prefix 'rnn'): m.safetensors has 6 parameters under the layer's prefix that "
      "the layer does not use ('rnn.weight_hh_l1' [32, 4], 'rnn.weight_hh_l1_reverse' [32, 4], "
      "'rnn.weight_hr_l1' [4, 8], 'rnn.weight_hr_l1_reverse' [4, 8], 'rnn.weight_ih_l1' [32, 8], "
      "'rnn.weight_ih_l1_reverse' [32, 8])");
  expect_build_error(
      {layer("lstm", {{"prefix", S("rnn")}, {"bidirectional", B(false)}, {"num_layers", I(1)}})}, *w,
      "has 9 parameters under the layer's prefix that the layer does not use ('rnn.weight_hh_l0_reverse'");
  expect_build_error(
      {layer("lstm", {{"prefix", S("rnn")}}), layer("linear", {{"prefix", S("head")}, {"bias", B(false)}})},
      *w,
      "layer 1 (linear, prefix 'head'): m.safetensors has a parameter under the layer's prefix that the "
      "layer does not use ('head.bias' [3])");
  expect_build_error({layer("lstm", {{"prefix", S("rnn")}, {"bias", B(true)}})}, *w,
                     "parameter 'rnn.bias_ih_l0' is missing");
}

TEST_CASE("transformer_encoder unrolls nn.TransformerEncoder: its layers, then its norm", "[onednn][model]") {
  const int64_t d = 8, ff = 16;
  std::map<std::string, std::pair<std::vector<int64_t>, std::vector<float>>> t;
  for (const std::string p : {"enc.layers.0", "enc.layers.1", "enc.layers.2"}) {
    t[p + ".self_attn.in_proj_weight"] = {{3 * d, d}, filled(3 * d * d)};
    t[p + ".self_attn.in_proj_bias"] = {{3 * d}, filled(3 * d)};
    t[p + ".self_attn.out_proj.weight"] = {{d, d}, filled(d * d)};
    t[p + ".self_attn.out_proj.bias"] = {{d}, filled(d)};
    t[p + ".linear1.weight"] = {{ff, d}, filled(ff * d)};
    t[p + ".linear1.bias"] = {{ff}, filled(ff)};
    t[p + ".linear2.weight"] = {{d, ff}, filled(ff * d)};
    t[p + ".linear2.bias"] = {{d}, filled(d)};
    for (const char* n : {".norm1", ".norm2"}) {
      t[p + n + ".weight"] = {{d}, filled(d)};
      t[p + n + ".bias"] = {{d}, filled(d)};
    }
  }
  t["enc.norm.weight"] = {{d}, filled(d)};
  t["enc.norm.bias"] = {{d}, filled(d)};
  auto w = weights(t);
  auto m = Model::build({layer("transformer_encoder", {{"prefix", S("enc")}, {"nhead", I(2)}})}, *w);
  CHECK(m->summary() ==
        "layer 0 (transformer_encoder_layer, prefix 'enc.layers.0'): 8 -> 8\n"
        "layer 0 (transformer_encoder_layer, prefix 'enc.layers.1'): 8 -> 8\n"
        "layer 0 (transformer_encoder_layer, prefix 'enc.layers.2'): 8 -> 8\n"
        "layer 0 (layer_norm, prefix 'enc.norm'): 8 -> 8\n");

  expect_build_error(
      {layer("transformer_encoder", {{"prefix", S("enc")}, {"nhead", I(2)}, {"num_layers", I(2)}})}, *w,
      "layer 0 (transformer_encoder, prefix 'enc'): m.safetensors has 12 parameters under the "
      "layer's prefix that the layer does not use ('enc.layers.2.");
  expect_build_error(
      {layer("transformer_encoder", {{"prefix", S("enc")}, {"nhead", I(2)}, {"norm", B(false)}})}, *w,
      "has 2 parameters under the layer's prefix that the layer does not use ('enc.norm.bias' [8], "
      "'enc.norm.weight' [8])");
  expect_build_error(
      {layer("transformer_encoder", {{"prefix", S("enc")}, {"nhead", I(2)}, {"num_layers", I(4)}})}, *w,
      "layer 0 (transformer_encoder_layer, prefix 'enc.layers.3'): parameter "
      "'enc.layers.3.self_attn.in_proj_weight' is missing");
  expect_build_error({layer("transformer_encoder", {{"prefix", S("enc")}})}, *w,
                     "layer 0 (transformer_encoder_layer, prefix 'enc.layers.0'): needs key 'nhead'");
  expect_build_error(
      {layer("transformer_encoder", {{"prefix", S("enc")}, {"nhead", I(2)}, {"nheads", I(2)}})}, *w,
      "nheads");
  expect_build_error({layer("transformer_encoder", {{"nhead", I(2)}})}, *w, "needs key 'prefix'");
  expect_build_error({layer("transformer_decoder", {{"prefix", S("enc")}, {"nhead", I(2)}})}, *w,
                     "parameter 'enc.layers.0.multihead_attn.in_proj_weight' is missing");
}

TEST_CASE("residual blocks: a hand-computed sum, branch errors, labels of the layers inside",
          "[onednn][model]") {
  // fc = 2 * identity: y = x + 0.5 * relu(2x), so 2x where x > 0 and x elsewhere.
  auto w = weights({{"fc.weight", {{2, 2}, {2, 0, 0, 2}}},
                    {"fc.bias", {{2}, {0, 0}}},
                    {"wide.weight", {{3, 2}, filled(6)}},
                    {"wide.bias", {{3}, filled(3)}},
                    {"emb.weight", {{4, 2}, filled(8)}},
                    {"c.weight", {{2, 2, 3}, filled(12)}}});
  auto body = [](std::vector<LayerConfig> l) { return ConfigValue::layer_list(std::move(l)); };
  const LayerConfig fc = layer("linear", {{"prefix", S("fc")}});
  auto m = Model::build(
      {layer("residual", {{"scale", ConfigValue::real(0.5)}, {"layers", body({fc, layer("relu")})}})}, *w);
  CHECK(m->input_dim() == 2);
  CHECK(m->step_unsupported().empty());
  std::vector<float> x = {1, -1, 3, 0.5f, -2, 4};
  SeqInput in{x.data(), nullptr, nullptr, 3, 2};
  Workspace ws;
  BatchOutput out = m->run(ws, {&in, 1});
  std::vector<float> y(6);
  out.copy(0, y.data());
  CHECK(y == std::vector<float>{2, -1, 6, 1, -2, 8});

  expect_build_error({layer("residual")}, *w, "layer 0 (residual): needs key 'layers'");
  expect_build_error({layer("residual", {{"layers", ConfigValue::integers({3})}})}, *w,
                     "key 'layers' must be a list of layer tables");
  expect_build_error(
      {layer("residual", {{"layers", body({layer("linear", {{"prefix", S("wide")}})})}})}, *w,
      "layer 0 (residual): its body gives 3 features per step and its input has 2: a block that "
      "changes the width needs a shortcut");
  expect_build_error({layer("residual", {{"layers", body({fc})},
                                         {"shortcut", body({layer("linear", {{"prefix", S("wide")}})})}})},
                     *w, "its body gives 2 features per step and its shortcut 3");
  expect_build_error({layer("residual", {{"layers", body({layer("embedding", {{"prefix", S("emb")}})})}})},
                     *w, "layer 0.0 (embedding, prefix 'emb'): an embedding must be the first layer");
  expect_build_error(
      {fc, layer("residual",
                 {{"layers", body({fc})}, {"shortcut", body({layer("linear", {{"prefix", S("nope")}})})}})},
      *w, "layer 1.shortcut.0 (linear, prefix 'nope'): parameter 'nope.weight' is missing");
  expect_build_error(
      {layer("residual", {{"layers", body({layer("linear", {{"prefix", S("fc")}, {"bias", B(false)}})})}})},
      *w,
      "layer 0.0 (linear, prefix 'fc'): m.safetensors has a parameter under the layer's prefix "
      "that the layer does not use ('fc.bias' [2])");
  expect_build_error({layer("residual", {{"layers", body({layer("lstn")})}})}, *w,
                     "layer 0.0: unknown type 'lstn'");
  LayerConfig nested = fc;
  for (int d = 0; d < kMaxResidualDepth; ++d) nested = layer("residual", {{"layers", body({nested})}});
  CHECK_NOTHROW(Model::build({nested}, *w));
  expect_build_error({layer("residual", {{"layers", body({nested})}})}, *w,
                     "layer 0.0.0.0.0 (residual): residual and gated blocks nest at most 4 deep");

  // A body that halves time and an identity shortcut agree on a 1-step record only: others fail alone.
  auto halve = Model::build(
      {layer(
          "residual",
          {{"layers",
            body({layer("conv1d",
                        {{"prefix", S("c")}, {"stride", I(2)}, {"padding", I(1)}, {"bias", B(false)}})})}})},
      *w);
  std::vector<float> one = {1, 2};
  SeqInput r1{one.data(), nullptr, nullptr, 1, 2};
  CHECK(halve->check(r1, nullptr).empty());
  SeqInput r4{x.data(), nullptr, nullptr, 3, 2};
  CHECK(
      halve->check(r4, nullptr) ==
      "3 steps: layer 0 (residual): its body turns 3 steps into 2, its input has 3: both branches must give "
      "a record the same steps");
}

TEST_CASE("rms_norm, gated blocks and grouped-query attention: hand-computed values and errors",
          "[onednn][model]") {
  // rms_norm of [3, 4]: mean square 12.5, so x / sqrt(12.5 + 0.5) * w = x / sqrt(13) * [2, -1].
  auto w = weights({{"n.weight", {{2}, {2.f, -1.f}}},
                    {"up.weight", {{2, 2}, {1, 0, 0, 1}}},
                    {"gate.weight", {{2, 2}, {0, 1, 1, 0}}},
                    {"wide.weight", {{3, 2}, filled(6)}}});
  auto m = Model::build({layer("rms_norm", {{"prefix", S("n")}, {"eps", ConfigValue::real(0.5)}})}, *w);
  std::vector<float> x = {3, 4};
  SeqInput in{x.data(), nullptr, nullptr, 1, 2};
  Workspace ws;
  std::vector<float> y(2);
  m->run(ws, {&in, 1}).copy(0, y.data());
  CHECK(y[0] == Approx(6.0 / std::sqrt(13.0)).epsilon(1e-6));
  CHECK(y[1] == Approx(-4.0 / std::sqrt(13.0)).epsilon(1e-6));
  expect_build_error({layer("rms_norm", {{"elementwise_affine", B(false)}})}, *w,
                     "needs key 'normalized_shape'");
  expect_build_error({layer("rms_norm", {{"prefix", S("n")}, {"eps", ConfigValue::real(-1)}})}, *w,
                     "layer 0 (rms_norm, prefix 'n'): eps must be >= 0");

  // gated: up(x) * gate(x) = [3, 4] * [4, 3].
  auto body = [](std::vector<LayerConfig> l) { return ConfigValue::layer_list(std::move(l)); };
  auto g = Model::build({layer("gated", {{"layers", body({layer("linear", {{"prefix", S("up")}})})},
                                         {"gate", body({layer("linear", {{"prefix", S("gate")}})})}})},
                        *w);
  g->run(ws, {&in, 1}).copy(0, y.data());
  CHECK(y == std::vector<float>{12.f, 12.f});
  expect_build_error({layer("gated", {{"layers", body({layer("linear", {{"prefix", S("up")}})})}})}, *w,
                     "layer 0 (gated): needs key 'gate'");
  expect_build_error({layer("gated", {{"layers", body({layer("linear", {{"prefix", S("up")}})})},
                                      {"gate", body({layer("linear", {{"prefix", S("wide")}})})}})},
                     *w, "layer 0 (gated): its body gives 2 features per step and its gate 3");
  expect_build_error({layer("gated", {{"layers", body({layer("relu")})},
                                      {"gate", body({layer("relu")})},
                                      {"scale", ConfigValue::real(2)}})},
                     *w, "unknown key 'scale'");

  // transposed: a Linear stored [in, out] (GPT-2's Conv1D): W^T = [[1, 3, 5], [2, 4, 6]] is the
  // Linear(2, 3) with W = [[1, 2], [3, 4], [5, 6]], so W [1, 1] = [3, 7, 11].
  auto c1 =
      weights({{"c.weight", {{2, 3}, {1, 3, 5, 2, 4, 6}}}, {"qkv.c_attn.weight", {{8, 24}, filled(192)}}});
  auto lt = Model::build({layer("linear", {{"prefix", S("c")}, {"transposed", B(true)}})}, *c1);
  CHECK(lt->input_dim() == 2);
  std::vector<float> two = {1, 1};
  SeqInput in2{two.data(), nullptr, nullptr, 1, 2};
  std::vector<float> three(3);
  lt->run(ws, {&in2, 1}).copy(0, three.data());
  CHECK(three == std::vector<float>{3.f, 7.f, 11.f});
  expect_build_error(
      {layer("multihead_attention",
             {{"prefix", S("qkv")}, {"num_heads", I(2)}, {"qkv_proj", S("c_attn")}, {"q_proj", S("q")}})},
      *c1, "qkv_proj names one packed projection; q_proj, k_proj and v_proj three separate ones");
  expect_build_error(
      {layer("multihead_attention", {{"prefix", S("qkv")}, {"num_heads", I(2)}, {"qkv_proj", S("c_attn")}})},
      *c1, "parameter 'qkv.c_attn.weight' has shape [8, 24], expected [3 * embed_dim, embed_dim]");
  expect_build_error(
      {layer(
          "multihead_attention",
          {{"prefix", S("qkv")}, {"num_heads", I(2)}, {"qkv_proj", S("c_attn")}, {"transposed", B(true)}})},
      *c1, "'qkv.out_proj.weight' is missing");

  // Grouped-query attention: 4 query heads of 2 dims over 1 key/value head (k_proj, v_proj [2, 8]).
  auto gq = weights({{"a.q_proj.weight", {{8, 8}, filled(64)}},
                     {"a.k_proj.weight", {{2, 8}, filled(16)}},
                     {"a.v_proj.weight", {{2, 8}, filled(16)}},
                     {"a.o_proj.weight", {{8, 8}, filled(64)}}});
  auto ga = Model::build({layer("multihead_attention", {{"prefix", S("a")}, {"num_heads", I(4)}})}, *gq);
  CHECK(ga->input_dim() == 8);
  expect_build_error({layer("multihead_attention",
                            {{"prefix", S("a")}, {"num_heads", I(4)}, {"num_key_value_heads", I(3)}})},
                     *gq, "num_heads 4 is not a multiple of num_key_value_heads 3");
  expect_build_error({layer("multihead_attention",
                            {{"prefix", S("a")}, {"num_heads", I(4)}, {"num_key_value_heads", I(2)}})},
                     *gq, "parameter 'a.k_proj.weight' has shape [2, 8], expected [4, 8]");
}

TEST_CASE("unknown layer types, keys and values get suggestions", "[onednn][model]") {
  auto w = weights(lstm_weights("rnn", 6, 8));
  expect_build_error({layer("lstn", {{"prefix", S("rnn")}})}, *w,
                     "layer 0: unknown type 'lstn' (did you mean 'lstm'?)");
  expect_build_error({layer("lstm", {{"prefix", S("rnn")}, {"num_layer", I(2)}})}, *w,
                     "unknown key 'num_layer' (did you mean 'num_layers'?)");
  expect_build_error({layer("lstm", {{"prefix", S("rnn")}, {"num_layers", S("two")}})}, *w,
                     "key 'num_layers' must be an integer");
  expect_build_error({layer("lstm", {{"prefix", S("rnn")}, {"num_layers", I(0)}})}, *w,
                     "key 'num_layers' = 0 is out of range");
  expect_build_error(
      {layer("gelu", {{"approximate", S("tan")}})}, *w,
      "key 'approximate' must be one of \"none\" \"tanh\", got \"tan\" (did you mean \"tanh\"?)");
  expect_build_error({layer("softmax", {{"dim", I(0)}})}, *w, "only the feature dim is supported");
  expect_build_error({}, *w, "the model has no layers");
}

TEST_CASE("structural errors: embedding placement, heads, conv padding", "[onednn][model]") {
  auto w = weights({{"emb.weight", {{10, 4}, filled(40)}},
                    {"fc.weight", {{4, 4}, filled(16)}},
                    {"fc.bias", {{4}, filled(4)}},
                    {"conv.weight", {{4, 4, 3}, filled(48)}},
                    {"conv.bias", {{4}, filled(4)}}});
  expect_build_error({layer("linear", {{"prefix", S("fc")}}), layer("embedding", {{"prefix", S("emb")}})}, *w,
                     "an embedding must be the first layer");
  expect_build_error({layer("conv1d", {{"prefix", S("conv")}, {"padding", S("same")}, {"stride", I(2)}})}, *w,
                     "padding = \"same\" needs stride 1");
  expect_build_error({layer("conv1d", {{"prefix", S("conv")}, {"padding_mode", S("reflected")}})}, *w,
                     "key 'padding_mode' must be one of \"zeros\" \"reflect\" \"replicate\" \"circular\", "
                     "got \"reflected\" (did you mean \"reflect\"?)");
  expect_build_error(
      {layer("conv1d", {{"prefix", S("conv")}, {"padding", I(-1)}})}, *w,
      "key 'padding' must be an integer in [0, 16777216], a list [left, right] of them, \"same\" or "
      "\"valid\"");
  expect_build_error(
      {layer("conv1d", {{"prefix", S("conv")}, {"padding", ConfigValue::integers({1, 2, 3})}})}, *w,
      "key 'padding' must be an integer in [0, 16777216], a list [left, right]");
  expect_build_error({layer("conv1d", {{"prefix", S("conv")}, {"padding", ConfigValue::integers({1, -2})}})},
                     *w, "key 'padding' must be an integer in [0, 16777216], a list [left, right]");
  expect_build_error({layer("conv1d", {{"prefix", S("conv")}, {"padding", I(int64_t{1} << 40)}})}, *w,
                     "key 'padding' must be an integer in [0, 16777216]");
  expect_build_error({layer("conv1d", {{"prefix", S("conv")}, {"dilation", I(int64_t{1} << 62)}})}, *w,
                     "key 'dilation' = 4611686018427387904 is out of range [1, 16777216]");
  expect_build_error({layer("max_pool1d", {{"kernel_size", I(int64_t{1} << 40)}})}, *w,
                     "key 'kernel_size' = 1099511627776 is out of range [1, 16777216]");
  expect_build_error({layer("embedding", {{"prefix", S("emb")}, {"max_norm", ConfigValue::real(-1.5)}})}, *w,
                     "max_norm must be a finite number >= 0, got -1.5");
  expect_build_error({layer("embedding", {{"prefix", S("emb")}, {"max_norm", I(1)}, {"norm_type", I(0)}})},
                     *w, "norm_type must be > 0 (inf for the max norm), got 0");
  expect_build_error({layer("embedding", {{"prefix", S("emb")}, {"max_norm", S("1")}})}, *w,
                     "key 'max_norm' must be a number");
}

TEST_CASE("weight normalization folds g and v, and a g that does not fit v is named", "[onednn][model]") {
  // w = v * g / ||v|| per output row (dim 0): rows (3, 4) and (0, 2) have norms 5 and 2.
  auto w = weights({{"fc.weight_g", {{2, 1}, {10.f, 1.f}}},
                    {"fc.weight_v", {{2, 2}, {3.f, 4.f, 0.f, 2.f}}},
                    {"bad.weight_g", {{3, 1}, filled(3)}},
                    {"bad.weight_v", {{2, 2}, filled(4)}}});
  auto m = Model::build({layer("linear", {{"prefix", S("fc")}, {"bias", B(false)}})}, *w);
  std::vector<float> x = {1.f, 1.f};
  SeqInput in{x.data(), nullptr, nullptr, 1, 2};
  Workspace ws;
  std::vector<float> y(2);
  m->run(ws, {&in, 1}).copy(0, y.data());
  CHECK(y[0] == Approx(6.f + 8.f));
  CHECK(y[1] == Approx(0.f + 1.f));
  expect_build_error({layer("linear", {{"prefix", S("bad")}, {"bias", B(false)}})}, *w,
                     "weight norm of 'bad.weight': 'bad.weight_g' has shape [3, 1], which does not fit "
                     "'bad.weight_v' [2, 2] (each dim 1 or equal)");
}

TEST_CASE("run-time input errors name the record", "[onednn][model]") {
  auto w = weights({{"emb.weight", {{10, 4}, filled(40)}},
                    {"conv.weight", {{4, 4, 3}, filled(48)}},
                    {"conv.bias", {{4}, filled(4)}}});
  Workspace ws;
  auto emb = Model::build({layer("embedding", {{"prefix", S("emb")}})}, *w);
  std::vector<int64_t> ids = {1, 2, 10};
  SeqInput t;
  t.tokens64 = ids.data();
  t.length = 3;
  std::string names[] = {"utt7"};
  CHECK_THROWS_WITH(emb->run(ws, {&t, 1}, {}, names),
                    "record utt7: step 2: token id 10 is outside the embedding's range [0, 10)");
  std::vector<float> f(12, 1.f);
  SeqInput x;
  x.features = f.data();
  x.length = 2;
  x.dim = 6;
  CHECK_THROWS_WITH(emb->run(ws, {&x, 1}), Catch::Contains("needs integer token ids"));

  auto conv = Model::build({layer("conv1d", {{"prefix", S("conv")}})}, *w);
  CHECK_THROWS_WITH(conv->run(ws, {&x, 1}), "record 0: has 6 features per step, the model expects 4");
  x.dim = 4;
  x.length = 2;
  CHECK_THROWS_WITH(conv->run(ws, {&x, 1}),
                    "record 0: 2 steps are too few for the model's convolutions and pooling");
  CHECK(conv->step_unsupported().find("conv1d") != std::string::npos);
  // Reflect padding needs more steps than the padding (as PyTorch's F.pad), circular as many.
  auto reflect = Model::build(
      {layer("conv1d", {{"prefix", S("conv")}, {"padding", I(3)}, {"padding_mode", S("reflect")}})}, *w);
  auto circular = Model::build(
      {layer("conv1d", {{"prefix", S("conv")}, {"padding", I(3)}, {"padding_mode", S("circular")}})}, *w);
  x.length = 3;
  CHECK_THROWS_WITH(reflect->run(ws, {&x, 1}),
                    "record 0: 3 steps are too few for the model's convolutions and pooling");
  CHECK(circular->run(ws, {&x, 1}).length(0) == 7);
  x.length = 2;
  CHECK_THROWS_WITH(circular->run(ws, {&x, 1}),
                    "record 0: 2 steps are too few for the model's convolutions and pooling");
  CHECK_THROWS_WITH(conv->begin(1, 1), Catch::Contains("cannot run one step at a time"));
  // An empty record gives an empty output and does not disturb the others.
  x.length = 0;
  BatchOutput out = conv->run(ws, {&x, 1});
  CHECK(out.length(0) == 0);
}

TEST_CASE("transformer configuration errors", "[onednn][model]") {
  const int64_t d = 8, ff = 16;
  std::map<std::string, std::pair<std::vector<int64_t>, std::vector<float>>> t = {
      {"enc.self_attn.in_proj_weight", {{3 * d, d}, filled(3 * d * d)}},
      {"enc.self_attn.in_proj_bias", {{3 * d}, filled(3 * d)}},
      {"enc.self_attn.out_proj.weight", {{d, d}, filled(d * d)}},
      {"enc.self_attn.out_proj.bias", {{d}, filled(d)}},
      {"enc.linear1.weight", {{ff, d}, filled(ff * d)}},
      {"enc.linear1.bias", {{ff}, filled(ff)}},
      {"enc.linear2.weight", {{d, ff}, filled(ff * d)}},
      {"enc.linear2.bias", {{d}, filled(d)}},
      {"enc.norm1.weight", {{d}, filled(d)}},
      {"enc.norm1.bias", {{d}, filled(d)}},
      {"enc.norm2.weight", {{d}, filled(d)}},
      {"enc.norm2.bias", {{d}, filled(d)}}};
  auto w = weights(t);
  expect_build_error({layer("transformer_encoder_layer", {{"prefix", S("enc")}})}, *w, "needs key 'nhead'");
  expect_build_error({layer("transformer_encoder_layer", {{"prefix", S("enc")}, {"nhead", I(3)}})}, *w,
                     "d_model 8 is not divisible by nhead 3");
  expect_build_error({layer("transformer_decoder_layer", {{"prefix", S("enc")}, {"nhead", I(2)}})}, *w,
                     "parameter 'enc.multihead_attn.in_proj_weight' is missing");
  auto m = Model::build({layer("transformer_encoder_layer", {{"prefix", S("enc")}, {"nhead", I(2)}})}, *w);
  CHECK(m->step_unsupported().find("set causal = true") != std::string::npos);
  auto c = Model::build(
      {layer("transformer_encoder_layer", {{"prefix", S("enc")}, {"nhead", I(2)}, {"causal", B(true)}})}, *w);
  CHECK(c->step_unsupported().empty());

  // multihead_attention: nn.MultiheadAttention's packed weights, or separate projections.
  expect_build_error({layer("multihead_attention", {{"prefix", S("enc.self_attn")}})}, *w,
                     "needs key 'num_heads'");
  expect_build_error({layer("multihead_attention", {{"prefix", S("enc.self_attn")}, {"num_heads", I(3)}})},
                     *w, "embed_dim 8 is not divisible by num_heads 3");
  auto a =
      Model::build({layer("multihead_attention", {{"prefix", S("enc.self_attn")}, {"num_heads", I(2)}})}, *w);
  CHECK(a->input_dim() == d);
  CHECK(a->step_unsupported().find("set causal = true") != std::string::npos);
  expect_build_error(
      {layer("multihead_attention", {{"prefix", S("enc")}, {"num_heads", I(2)}})}, *w,
      "layer 0 (multihead_attention, prefix 'enc'): enc.q_proj.weight is missing: the file has neither "
      "nn.MultiheadAttention's 'enc.in_proj_weight' nor separate projections; name them with the keys "
      "q_proj, k_proj, v_proj and out_proj");
  expect_build_error({layer("multihead_attention", {{"prefix", S("enc.self_attn")},
                                                    {"num_heads", I(2)},
                                                    {"cross_attention", B(true)},
                                                    {"causal", B(true)}})},
                     *w, "causal applies to self-attention, not to cross_attention");
  auto cross = Model::build(
      {layer("multihead_attention",
             {{"prefix", S("enc.self_attn")}, {"num_heads", I(2)}, {"cross_attention", B(true)}})},
      *w);
  CHECK(cross->needs_memory());
  CHECK(cross->memory_dim() == d);
  CHECK(cross->step_unsupported().empty());
  {
    std::vector<float> f(3 * d, 0.5f);
    SeqInput x{f.data(), nullptr, nullptr, 3, d};
    CHECK(cross->check(x, nullptr) == "the model's decoder layers need an f32 memory sequence");
    std::vector<float> mf(2 * 5, 0.5f);
    SeqInput mem{mf.data(), nullptr, nullptr, 2, 5};
    CHECK(cross->check(x, &mem) == "memory has 5 features per step, the model expects 8");
  }
  expect_build_error({layer("multihead_attention",
                            {{"prefix", S("enc.self_attn")}, {"num_heads", I(8)}, {"rotary", S("half")}})},
                     *w, "rotary needs an even head size, got 1");
  expect_build_error({layer("multihead_attention", {{"prefix", S("enc.self_attn")},
                                                    {"num_heads", I(2)},
                                                    {"rotary", S("half")},
                                                    {"cross_attention", B(true)}})},
                     *w, "rotary applies to self-attention, not to cross_attention");
  expect_build_error({layer("multihead_attention",
                            {{"prefix", S("enc.self_attn")}, {"num_heads", I(2)}, {"rotary", S("halves")}})},
                     *w, "key 'rotary' must be one of \"none\" \"half\" \"interleaved\", got \"halves\"");
  expect_build_error({layer("multihead_attention", {{"prefix", S("enc.self_attn")},
                                                    {"num_heads", I(2)},
                                                    {"rotary", S("half")},
                                                    {"rotary_base", ConfigValue::real(0)}})},
                     *w, "rotary_base must be positive");
  // Separate projections under names the keys give: linear1 is [16, 8], not a [8, 8] query projection.
  expect_build_error({layer("multihead_attention", {{"prefix", S("enc")},
                                                    {"num_heads", I(2)},
                                                    {"q_proj", S("linear1")},
                                                    {"k_proj", S("linear2")},
                                                    {"v_proj", S("norm1")},
                                                    {"out_proj", S("norm2")}})},
                     *w, "parameter 'enc.linear1.weight' has shape [16, 8], expected [embed_dim, embed_dim]");
  // Keys of another width than the queries' (nn.MultiheadAttention's kdim) are for cross-attention.
  auto kd = weights({{"a.q_proj_weight", {{d, d}, filled(d * d)}},
                     {"a.k_proj_weight", {{d, 5}, filled(d * 5)}},
                     {"a.v_proj_weight", {{d, 5}, filled(d * 5)}},
                     {"a.out_proj.weight", {{d, d}, filled(d * d)}}});
  expect_build_error({layer("multihead_attention", {{"prefix", S("a")}, {"num_heads", I(2)}})}, *kd,
                     "keys of 5 features need cross_attention = true");
  auto kc = Model::build(
      {layer("multihead_attention", {{"prefix", S("a")}, {"num_heads", I(2)}, {"cross_attention", B(true)}})},
      *kd);
  CHECK(kc->memory_dim() == 5);
  expect_build_error(
      {layer("multihead_attention",
             {{"prefix", S("a")}, {"num_heads", I(2)}, {"cross_attention", B(true)}, {"vdim", I(4)}})},
      *kd, "key 'vdim' = 4 is out of range [5, 5]");
}

TEST_CASE("relative-position attention configuration errors", "[onednn][model]") {
  const int64_t d = 8;
  std::map<std::string, std::pair<std::vector<int64_t>, std::vector<float>>> t;
  for (const char* n : {"linear_q", "linear_k", "linear_v", "linear_out", "linear_pos"})
    t[std::string("rel.") + n + ".weight"] = {{d, d}, filled(d * d)};
  t["rel.pos_bias_u"] = {{2, 4}, filled(8)};
  auto w = weights(t);
  expect_build_error({layer("rel_multihead_attention", {{"prefix", S("rel")}})}, *w, "needs key 'num_heads'");
  expect_build_error({layer("rel_multihead_attention", {{"prefix", S("rel")}, {"num_heads", I(3)}})}, *w,
                     "n_feat 8 must be even and divisible by num_heads 3");
  expect_build_error({layer("rel_multihead_attention", {{"prefix", S("rel")}, {"num_heads", I(2)}})}, *w,
                     "parameter 'rel.pos_bias_v' is missing");
  expect_build_error(
      {layer("rel_multihead_attention", {{"prefix", S("rel")}, {"num_heads", I(2)}, {"pos", S("rel")}})}, *w,
      "key 'pos' must be one of \"relative\" \"absolute\"");
  expect_build_error({layer("rel_positional_encoding")}, *w, "needs key 'd_model'");
  t["rel.pos_bias_v"] = {{2, 4}, filled(8)};
  auto w2 = weights(t);
  auto m = Model::build({layer("rel_positional_encoding", {{"d_model", I(d)}}),
                         layer("rel_multihead_attention", {{"prefix", S("rel")}, {"num_heads", I(2)}})},
                        *w2);
  CHECK(m->input_dim() == d);
  CHECK(m->step_unsupported() ==
        "layer 1 (rel_multihead_attention, prefix 'rel') (relative positions) attends to "
        "the whole sequence");
}

TEST_CASE("a small model's batch padded past its longest record stays within max_len", "[onednn][model]") {
  // A small model's batch runs a multiple of 8 steps (Model::batch_steps): 10 positions of a learned
  // table, then, for records of 9 and 10 steps, 16 steps. The table's limit is on the records.
  std::vector<float> table(20);
  for (size_t i = 0; i < table.size(); ++i) table[i] = static_cast<float>(i);
  auto w = weights({{"pos.weight", {{10, 2}, table}}});
  auto m = Model::build({layer("positional_encoding", {{"prefix", S("pos")}, {"kind", S("learned")}})}, *w);
  std::vector<float> a(18, 1.f), b(20, 2.f), c(22, 3.f);
  SeqInput in[2];
  for (SeqInput& s : in) s.dim = 2;
  in[0].features = a.data();
  in[0].length = 9;
  in[1].features = b.data();
  in[1].length = 10;
  Workspace ws;
  BatchOutput out = m->run(ws, {in, 2});
  std::vector<float> y(20);
  out.copy(1, y.data());
  for (size_t i = 0; i < y.size(); ++i) CHECK(y[i] == 2.f + table[i]);
  REQUIRE(out.length(0) == 9);
  out.copy(0, y.data());
  for (size_t i = 0; i < 18; ++i) CHECK(y[i] == 1.f + table[i]);
  in[1].features = c.data();
  in[1].length = 11;
  // A record past max_len fails alone (Model::check), before its batch runs.
  CHECK(m->check(in[1], nullptr) ==
        "11 steps: layer 0 (positional_encoding, prefix 'pos'): longer than max_len 10");
  CHECK_THROWS_WITH(m->run(ws, {in, 2}),
                    "record 1: 11 steps: layer 0 (positional_encoding, prefix 'pos'): longer "
                    "than max_len 10");

  // RoBERTa's positions start at padding_idx + 1: offset 2 takes rows 2 .. 9, 8 steps at most.
  auto off = Model::build(
      {layer("positional_encoding", {{"prefix", S("pos")}, {"kind", S("learned")}, {"offset", I(2)}})}, *w);
  in[0].features = a.data();
  in[0].length = 8;
  BatchOutput o = off->run(ws, {in, 1});
  std::vector<float> z(16);
  o.copy(0, z.data());
  for (size_t i = 0; i < z.size(); ++i) CHECK(z[i] == 1.f + table[i + 4]);
  in[0].length = 9;
  CHECK(off->check(in[0], nullptr) ==
        "9 steps: layer 0 (positional_encoding, prefix 'pos'): longer than max_len 10 (positions from 2)");
  expect_build_error(
      {layer("positional_encoding", {{"prefix", S("pos")}, {"kind", S("learned")}, {"offset", I(10)}})}, *w,
      "offset 10 leaves no position below max_len 10");

  // An embedding's scale multiplies the rows it looks up (fairseq's embed_scale, ESM-2's 0.88).
  auto emb = weights({{"e.weight", {{3, 2}, {1.f, 2.f, 3.f, 4.f, 5.f, 6.f}}}});
  auto em = Model::build({layer("embedding", {{"prefix", S("e")}, {"scale", ConfigValue::real(0.5)}})}, *emb);
  const int64_t ids[2] = {2, 0};
  SeqInput tok;
  tok.tokens64 = ids;
  tok.length = 2;
  BatchOutput eo = em->run(ws, {&tok, 1});
  std::vector<float> ev(4);
  eo.copy(0, ev.data());
  CHECK(ev == std::vector<float>{2.5f, 3.f, 0.5f, 1.f});

  // BERT's token type embedding: one row of the table added to every step.
  auto tt = weights({{"tt.weight", {{2, 2}, {0.5f, -1.f, 4.f, 8.f}}}});
  auto tm = Model::build({layer("token_type_embedding", {{"prefix", S("tt")}, {"token_type", I(1)}})}, *tt);
  in[0].length = 2;
  BatchOutput t2 = tm->run(ws, {in, 1});
  std::vector<float> u(4);
  t2.copy(0, u.data());
  CHECK(u == std::vector<float>{5.f, 9.f, 5.f, 9.f});
  expect_build_error({layer("token_type_embedding", {{"prefix", S("tt")}, {"token_type", I(2)}})}, *tt,
                     "key 'token_type' = 2 is out of range [0, 1]");
}

TEST_CASE("a NaN record leaves later batches alone: layers get their padding as zeros", "[onednn][model]") {
  // A record of NaN features leaves NaN in the workspace's buffers. A later batch must not pick it up
  // through its padding: the reverse direction leaves its padding steps unwritten, and attention
  // reads the keys of a record's rows rounded up to 8 (masked, but a zero weight times NaN is NaN).
  const int64_t in = 3, H = 4, d = 2 * H, ff = 16;
  auto ramp = [](int64_t n, float scale) {
    std::vector<float> v(static_cast<size_t>(n));
    for (size_t i = 0; i < v.size(); ++i) v[i] = scale * std::sin(0.7f * static_cast<float>(i) + 0.3f);
    return v;
  };
  std::map<std::string, std::pair<std::vector<int64_t>, std::vector<float>>> t;
  for (std::string sfx : {"_l0", "_l0_reverse"}) {
    t["gru.weight_ih" + sfx] = {{3 * H, in}, ramp(3 * H * in, 0.5f)};
    t["gru.weight_hh" + sfx] = {{3 * H, H}, ramp(3 * H * H, 0.4f)};
    t["gru.bias_ih" + sfx] = {{3 * H}, ramp(3 * H, 0.1f)};
    t["gru.bias_hh" + sfx] = {{3 * H}, ramp(3 * H, 0.2f)};
  }
  t["enc.self_attn.in_proj_weight"] = {{3 * d, d}, ramp(3 * d * d, 0.3f)};
  t["enc.self_attn.in_proj_bias"] = {{3 * d}, ramp(3 * d, 0.1f)};
  t["enc.self_attn.out_proj.weight"] = {{d, d}, ramp(d * d, 0.3f)};
  t["enc.self_attn.out_proj.bias"] = {{d}, ramp(d, 0.1f)};
  t["enc.linear1.weight"] = {{ff, d}, ramp(ff * d, 0.3f)};
  t["enc.linear1.bias"] = {{ff}, ramp(ff, 0.1f)};
  t["enc.linear2.weight"] = {{d, ff}, ramp(ff * d, 0.3f)};
  t["enc.linear2.bias"] = {{d}, ramp(d, 0.1f)};
  for (std::string n : {"enc.norm1", "enc.norm2"}) {
    t[n + ".weight"] = {{d}, filled(d, 1.f)};
    t[n + ".bias"] = {{d}, filled(d, 0.f)};
  }
  auto w = weights(t);
  auto m = Model::build({layer("gru", {{"prefix", S("gru")}, {"bidirectional", B(true)}}),
                         layer("transformer_encoder_layer", {{"prefix", S("enc")}, {"nhead", I(2)}})},
                        *w);
  Workspace ws;
  std::vector<float> long_rec = ramp(10 * in, 1.f), short_rec = ramp(3 * in, -1.f);
  std::vector<float> bad(static_cast<size_t>(10 * in), std::nanf(""));
  SeqInput a{long_rec.data(), nullptr, nullptr, 10, in}, b{short_rec.data(), nullptr, nullptr, 3, in};
  SeqInput poison{bad.data(), nullptr, nullptr, 10, in};

  BatchOutput alone = m->run(ws, {&b, 1});
  std::vector<float> want(static_cast<size_t>(3 * d));
  alone.copy(0, want.data());
  m->run(ws, {&poison, 1});
  SeqInput batch[] = {a, b};
  BatchOutput both = m->run(ws, batch);
  REQUIRE(both.length(1) == 3);
  std::vector<float> got(want.size());
  both.copy(1, got.data());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("value " << i);
    CHECK(std::isfinite(got[i]));
    CHECK(std::fabs(got[i] - want[i]) <= 1e-5f);
  }
}

TEST_CASE("a sinusoidal encoding's max_len costs no memory past its first positions", "[onednn][model]") {
  // max_len = 10^12 at d_model 4 would be a 16 TB table; positions are computed past the first 4096.
  auto w = weights({{"unused", {{1}, filled(1)}}});
  auto pe = [&](int64_t max_len) {
    return Model::build({layer("positional_encoding", {{"d_model", I(4)}, {"max_len", I(max_len)}})}, *w);
  };
  auto huge = pe(1000000000000), small = pe(5000);
  std::vector<float> x(4 * 5000, 0.f);
  SeqInput in{x.data(), nullptr, nullptr, 5000, 4};
  Workspace ws;
  std::vector<float> a(x.size()), b(x.size());
  huge->run(ws, {&in, 1}).copy(0, a.data());
  small->run(ws, {&in, 1}).copy(0, b.data());
  CHECK(a == b);
  CHECK(a[4 * 4999 + 1] != 0.f);
}

TEST_CASE("batch_norm and group_norm configuration errors", "[onednn][model]") {
  auto w = weights({{"gn.weight", {{6}, filled(6)}}, {"gn.bias", {{6}, filled(6)}}});
  expect_build_error({layer("group_norm", {{"prefix", S("gn")}})}, *w, "needs key 'num_groups'");
  expect_build_error({layer("group_norm", {{"prefix", S("gn")}, {"num_groups", I(4)}})}, *w,
                     "num_channels 6 is not divisible by num_groups 4");
  expect_build_error({layer("batch_norm", {{"prefix", S("gn")}})}, *w,
                     "parameter 'gn.running_mean' is missing");
  expect_build_error({layer("batch_norm", {{"affine", B(false)}, {"track_running_stats", B(false)}})}, *w,
                     "needs key 'num_features'");
  auto gn = Model::build({layer("group_norm", {{"prefix", S("gn")}, {"num_groups", I(3)}})}, *w);
  CHECK(gn->step_unsupported().find("whole sequence's statistics") != std::string::npos);
  auto bn = Model::build({layer("batch_norm", {{"prefix", S("gn")}, {"track_running_stats", B(false)}})}, *w);
  CHECK(bn->step_unsupported().find("track_running_stats = false") != std::string::npos);
  // batch_norm2d: 6 channels of F features per step; 8 features are not 6 channels.
  auto bn2 =
      Model::build({layer("batch_norm2d", {{"prefix", S("gn")}, {"track_running_stats", B(false)}})}, *w);
  std::vector<float> f(3 * 8, 1.f);
  SeqInput x{f.data(), nullptr, nullptr, 3, 8};
  Workspace ws;
  CHECK_THROWS_WITH(
      bn2->run(ws, {&x, 1}),
      "layer 0 (batch_norm2d, prefix 'gn'): 8 features per step are not 6 channels of equal size");
  x.dim = 12;
  f.resize(3 * 12, 1.f);
  x.features = f.data();
  CHECK(bn2->run(ws, {&x, 1}).length(0) == 3);
}

TEST_CASE("pooling configuration errors and records too short to pool", "[onednn][model]") {
  auto w = weights({{"unused", {{1}, filled(1)}}});
  expect_build_error({layer("max_pool1d")}, *w, "needs key 'kernel_size'");
  expect_build_error({layer("max_pool1d", {{"kernel_size", I(3)}, {"padding", I(2)}})}, *w,
                     "padding 2 must be at most half the kernel (as in PyTorch)");
  expect_build_error({layer("max_pool1d", {{"kernel_size", I(3)}, {"return_indices", B(true)}})}, *w,
                     "return_indices = true is not supported");
  expect_build_error({layer("adaptive_avg_pool1d")}, *w, "needs key 'output_size'");
  expect_build_error({layer("avg_pool1d", {{"kernel_size", I(2)}, {"dilation", I(2)}})}, *w,
                     "unknown key 'dilation'");
  auto m = Model::build({layer("max_pool1d", {{"kernel_size", I(4)}})}, *w);
  CHECK(m->step_unsupported().find("pools several steps at once") != std::string::npos);
  std::vector<float> f(9, 1.f);
  SeqInput x{f.data(), nullptr, nullptr, 3, 3};
  Workspace ws;
  CHECK_THROWS_WITH(m->run(ws, {&x, 1}),
                    "record 0: 3 steps are too few for the model's convolutions and pooling");
}

TEST_CASE("flatten learns its length from the next linear; other lengths fail alone", "[onednn][model]") {
  // Linear(2, 3) then flatten: 3 features x 4 steps = Linear(12, 1)'s inputs. Flatten is
  // channel-major: feature c of step t lands at c * 4 + t.
  std::vector<float> head(12);
  for (size_t i = 0; i < head.size(); ++i) head[i] = static_cast<float>(i + 1);
  auto w = weights({{"fc.weight", {{3, 2}, {1, 0, 0, 1, 1, 1}}},
                    {"head.weight", {{1, 12}, head}},
                    {"odd.weight", {{1, 10}, filled(10)}}});
  auto m = Model::build({layer("linear", {{"prefix", S("fc")}, {"bias", B(false)}}), layer("flatten"),
                         layer("linear", {{"prefix", S("head")}, {"bias", B(false)}})},
                        *w);
  // Steps (a, b) -> features (a, b, a + b); steps t = 0..3 carry (t, 1).
  std::vector<float> x = {0, 1, 1, 1, 2, 1, 3, 1};
  SeqInput in{x.data(), nullptr, nullptr, 4, 2};
  Workspace ws;
  BatchOutput out = m->run(ws, {&in, 1});
  REQUIRE(out.length(0) == 1);
  float y = 0;
  out.copy(0, &y);
  // feature 0 = t at weights 1..4, feature 1 = 1 at 5..8, feature 2 = t + 1 at 9..12.
  float want = 0;
  for (int t = 0; t < 4; ++t) want += t * (1.f + t) + 1.f * (5.f + t) + (t + 1.f) * (9.f + t);
  CHECK(y == want);
  in.length = 3;
  CHECK_THROWS_WITH(
      m->run(ws, {&in, 1}),
      Catch::Contains("3 steps: layer 1 (flatten) takes sequences of 4 steps here (3 features x 4 = "
                      "the next layer's 12 inputs), this one has 3"));
  expect_build_error({layer("linear", {{"prefix", S("fc")}, {"bias", B(false)}}), layer("flatten")}, *w,
                     "needs a later layer with a fixed input size");
  expect_build_error({layer("linear", {{"prefix", S("fc")}, {"bias", B(false)}}), layer("flatten"),
                      layer("linear", {{"prefix", S("odd")}, {"bias", B(false)}})},
                     *w, "takes 10 features, not a multiple of the 3 this flattens per step");
  expect_build_error({layer("flatten")}, *w, "needs an earlier layer that fixes the feature size");
  expect_build_error(
      {layer("linear", {{"prefix", S("fc")}, {"bias", B(false)}}), layer("flatten", {{"start_dim", I(0)}})},
      *w, "only start_dim = 1");
}

TEST_CASE("pointwise activation configuration errors", "[onednn][model]") {
  auto w = weights({{"fc.weight", {{3, 2}, filled(6)}}, {"p.weight", {{4}, filled(4)}}});
  expect_build_error({layer("glu")}, *w, "needs an earlier layer that fixes the feature size");
  expect_build_error({layer("linear", {{"prefix", S("fc")}, {"bias", B(false)}}), layer("glu")}, *w,
                     "halves the features, but gets an odd number (3)");
  expect_build_error({layer("glu", {{"dim", I(0)}})}, *w, "only the feature dim is supported");
  expect_build_error({layer("hardtanh", {{"min_val", I(2)}, {"max_val", I(1)}})}, *w,
                     "min_val must not exceed max_val");
  expect_build_error(
      {layer("linear", {{"prefix", S("fc")}, {"bias", B(false)}}), layer("prelu", {{"prefix", S("p")}})}, *w,
      "num_parameters is 4, but the previous layer outputs 3 features");
  expect_build_error({layer("leaky_relu", {{"negative_slop", ConfigValue::real(0.1)}})}, *w,
                     "unknown key 'negative_slop' (did you mean 'negative_slope'?)");
  // A NaN stays NaN through relu, as in PyTorch: a record's bad values are not turned into numbers.
  auto relu = Model::build({layer("relu")}, *w);
  std::vector<float> x = {std::nanf(""), -1.f, 2.f};
  SeqInput in{x.data(), nullptr, nullptr, 1, 3};
  Workspace ws;
  std::vector<float> y(3);
  relu->run(ws, {&in, 1}).copy(0, y.data());
  CHECK(std::isnan(y[0]));
  CHECK(y[1] == 0.f);
  CHECK(y[2] == 2.f);
}

TEST_CASE("conv2d configuration errors, and a width a later layer does not take", "[onednn][model]") {
  auto w = weights({{"c.weight", {{2, 1, 3, 3}, filled(18)}},
                    {"c.bias", {{2}, filled(2)}},
                    {"fc.weight", {{1, 6}, filled(6)}},
                    {"k.weight", {{2, 3, 3}, filled(18)}},
                    {"k.bias", {{2}, filled(2)}}});
  expect_build_error({layer("conv2d", {{"prefix", S("c")}, {"padding", S("same")}, {"stride", I(2)}})}, *w,
                     "padding = \"same\" needs stride 1");
  expect_build_error({layer("conv2d", {{"prefix", S("c")}, {"stride", ConfigValue::integers({1, 2, 3})}})},
                     *w, "key 'stride' must be an integer or a list of two");
  expect_build_error({layer("conv2d", {{"prefix", S("c")}, {"padding", S("full")}})}, *w,
                     "key 'padding' must be an integer, a list of two, \"same\" or \"valid\"");
  expect_build_error({layer("conv2d", {{"prefix", S("c")}, {"time_dim", I(1)}})}, *w,
                     "time_dim must be 2 (the image's height) or 3 (its width), or -2 or -1");
  expect_build_error({layer("conv2d", {{"prefix", S("c")}, {"time_dim", I(4)}})}, *w, "time_dim");
  // Time as the width: a [2, 1, 3, 1] kernel spans 3 features of one step, so 5 steps of 5 features
  // give 5 steps of 2 x 3.
  auto tall = weights({{"c.weight", {{2, 1, 3, 1}, filled(6)}}});
  auto tw = Model::build({layer("conv2d", {{"prefix", S("c")}, {"time_dim", I(-1)}})}, *tall);
  {
    std::vector<float> f5(5 * 5, 1.f);
    SeqInput x5{f5.data(), nullptr, nullptr, 5, 5};
    Workspace ws5;
    BatchOutput o = tw->run(ws5, {&x5, 1});
    CHECK(o.length(0) == 5);
    CHECK(o.dim() == 6);
    std::vector<float> y(30);
    o.copy(0, y.data());
    CHECK(y == std::vector<float>(30, 0.1f * 3));
  }
  // Conv2d(1, 2, 3) on 5 features gives 2 x 3 = 6 per step, which fc takes; 7 features give 2 x 5.
  auto m = Model::build(
      {layer("conv2d", {{"prefix", S("c")}}), layer("linear", {{"prefix", S("fc")}, {"bias", B(false)}})},
      *w);
  CHECK(m->input_dim() == 0);
  std::vector<float> f(4 * 7, 1.f);
  SeqInput x{f.data(), nullptr, nullptr, 4, 5};
  Workspace ws;
  CHECK(m->run(ws, {&x, 1}).length(0) == 2);
  x.dim = 7;
  CHECK_THROWS_WITH(m->run(ws, {&x, 1}),
                    "layer 1 (linear, prefix 'fc'): gets 10 features per step, expects 6");
  // 2-d pools pool a conv2d's channels: after a layer that mixes features there are none.
  expect_build_error({layer("max_pool2d", {{"kernel_size", I(2)}})}, *w, "needs a conv2d before it");
  expect_build_error(
      {layer("conv2d", {{"prefix", S("c")}}), layer("linear", {{"prefix", S("fc")}, {"bias", B(false)}}),
       layer("avg_pool2d", {{"kernel_size", I(2)}})},
      *w, "needs a conv2d before it");
  auto pooled = Model::build({layer("conv2d", {{"prefix", S("c")}}), layer("relu"),
                              layer("max_pool2d", {{"kernel_size", ConfigValue::integers({1, 3})}})},
                             *w);
  x.dim = 5;  // 2 channels x 3 features, pooled over 3 features: 2 x 1
  CHECK(pooled->run(ws, {&x, 1}).dim() == 2);
  // A width known at build passes through a 2-d pool: Linear(2, 5) -> conv2d 1 x 5 -> 2 x 3 -> pool
  // over 2 features with ceil_mode -> 2 x 2 -> Linear(4, 1).
  auto known = weights({{"in.weight", {{5, 2}, filled(10)}},
                        {"c.weight", {{2, 1, 3, 3}, filled(18)}},
                        {"head.weight", {{1, 4}, filled(4)}}});
  auto chain = Model::build(
      {layer("linear", {{"prefix", S("in")}, {"bias", B(false)}}),
       layer("conv2d", {{"prefix", S("c")}, {"bias", B(false)}}),
       layer("max_pool2d", {{"kernel_size", ConfigValue::integers({1, 2})}, {"ceil_mode", B(true)}}),
       layer("linear", {{"prefix", S("head")}, {"bias", B(false)}})},
      *known);
  std::vector<float> two(2 * 4, 1.f);
  SeqInput in2{two.data(), nullptr, nullptr, 4, 2};
  CHECK(chain->run(ws, {&in2, 1}).dim() == 1);
  // PyTorch's one-element tuples, kernel_size=(3,), are integers.
  auto k = Model::build({layer("conv1d", {{"prefix", S("k")},
                                          {"kernel_size", ConfigValue::integers({3})},
                                          {"padding", ConfigValue::integers({1})}})},
                        *w);
  CHECK(k->output_length(5) == 5);
}
