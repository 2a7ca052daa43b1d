// The windows and magnitude layers: a hand-computed windowed model, the output lengths of Silero VAD's
// wrapper (one probability per 512 samples, the last window zero-padded), and build errors.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "fixture_util.hpp"
#include "onednn/model.hpp"

using namespace seqflow::onednn;

namespace {

using fixture::weights;

LayerConfig layer(const std::string& type,
                  std::initializer_list<std::pair<const char*, ConfigValue>> keys = {}) {
  LayerConfig c;
  c.type = type;
  for (const auto& [k, v] : keys) c.set(k, v);
  return c;
}
ConfigValue I(int64_t i) { return ConfigValue::integer(i); }
ConfigValue B(bool b) { return ConfigValue::boolean(b); }
ConfigValue S(const char* s) { return ConfigValue::string(s); }
ConfigValue L(std::vector<LayerConfig> v) { return ConfigValue::layer_list(std::move(v)); }
ConfigValue P(int64_t a, int64_t b) { return ConfigValue::integers({a, b}); }

std::vector<float> run(const Model& m, const std::vector<float>& x, int64_t dim = 1) {
  SeqInput in;
  in.features = x.data();
  in.length = static_cast<int64_t>(x.size()) / dim;
  in.dim = dim;
  Workspace ws;
  BatchOutput out = m.run(ws, {&in, 1});
  std::vector<float> y(static_cast<size_t>(out.length(0) * out.dim()));
  out.copy(0, y.data());
  return y;
}

}  // namespace

TEST_CASE("windows: a hand-computed sum over each window", "[onednn][windows]") {
  // A conv1d of kernel 3 with weights 1 and no bias sums the 3 steps of each window of 3 every 2 steps,
  // after one zero step on the left: x = 1..7 gives the windows that fit, [0 1 2], [2 3 4], [4 5 6] ->
  // 3, 9, 15; step 7 is left out unless pad_end completes a fourth window [6 7 0] -> 13.
  auto w = weights({{"sum.weight", {{1, 1, 3}, {1, 1, 1}}}});
  const std::vector<float> x = {1, 2, 3, 4, 5, 6, 7};
  auto body = L({layer("conv1d", {{"prefix", S("sum")}})});
  auto m = Model::build(
      {layer("windows", {{"size", I(3)}, {"step", I(2)}, {"padding", P(1, 0)}, {"layers", body}})}, *w);
  CHECK(run(*m, x) == std::vector<float>{3, 9, 15});
  auto m2 = Model::build(
      {layer("windows",
             {{"size", I(3)}, {"step", I(2)}, {"padding", P(1, 0)}, {"pad_end", B(true)}, {"layers", body}})},
      *w);
  CHECK(run(*m2, x) == std::vector<float>{3, 9, 15, 13});
  CHECK(m2->step_unsupported().find("windows") != std::string::npos);
}

TEST_CASE("windows: Silero's wrapper gives ceil(samples / 512) windows", "[onednn][windows]") {
  auto w = weights({{"sum.weight", {{1, 1, 576}, std::vector<float>(576, 1.f)}}});
  auto m = Model::build({layer("windows", {{"size", I(576)},
                                           {"step", I(512)},
                                           {"padding", P(64, 0)},
                                           {"pad_end", B(true)},
                                           {"layers", L({layer("conv1d", {{"prefix", S("sum")}})})}})},
                        *w);
  for (int64_t n : {1, 511, 512, 513, 1024, 1025, 16000, 960000})
    CHECK(m->output_length(n) == (n + 511) / 512);
  // Window i sums samples [512 i - 64, 512 i + 512): all ones give 512 for the first, 576 after, and
  // the last window of 1000 samples holds 1000 - 448 = 552 of them.
  const std::vector<float> y = run(*m, std::vector<float>(1000, 1.f));
  CHECK(y == std::vector<float>{512, 552});
}

TEST_CASE("magnitude: sqrt(re^2 + im^2) of a step's two halves", "[onednn][windows]") {
  auto w = weights({});
  auto m = Model::build({layer("magnitude")}, *w);
  const std::vector<float> y = run(*m, {3, 0, 4, 1, -5, 12, 0, 0}, 4);  // [re re im im] per step
  REQUIRE(y.size() == 4);
  CHECK(y[0] == 5.f);
  CHECK(y[1] == 1.f);
  CHECK(y[2] == 5.f);
  CHECK(y[3] == 12.f);
}

TEST_CASE("windows and magnitude: build errors name the layer and the fix", "[onednn][windows]") {
  auto w = weights({{"c.weight", {{2, 1, 5}, std::vector<float>(10, 1.f)}}});
  auto body = L({layer("conv1d", {{"prefix", S("c")}})});
  auto err = [&](std::vector<LayerConfig> layers, const std::string& fragment) {
    CHECK_THROWS_WITH(Model::build(layers, *w), Catch::Matchers::Contains(fragment));
  };
  err({layer("windows", {{"layers", body}})}, "needs key 'size'");
  err({layer("windows", {{"size", I(8)}})}, "needs key 'layers'");
  err({layer("windows", {{"size", I(8)}, {"padding", S("same")}, {"layers", body}})},
      "key 'padding' must be");
  err({layer("windows", {{"size", I(4)}, {"layers", body}})}, "a window of 4 steps is too short");
  err({layer("windows", {{"size", I(8)}, {"step", I(0)}, {"layers", body}})}, "step");
  err({layer("windows", {{"size", I(8)}, {"layers", body}, {"stride", I(2)}})}, "unknown key 'stride'");
  // conv1d gives 2 features: a magnitude of one complex value per step; 3 is odd.
  auto w3 = weights({{"c.weight", {{3, 1, 5}, std::vector<float>(15, 1.f)}}});
  CHECK_THROWS_WITH(Model::build({layer("conv1d", {{"prefix", S("c")}}), layer("magnitude")}, *w3),
                    Catch::Matchers::Contains("needs an even number"));
}
