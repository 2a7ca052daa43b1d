// The matmul recurrent kernel against oneDNN's RNN primitive (which the fixtures tie to PyTorch) on
// sequences long enough that the matmul kernel projects its input in several blocks, with records of
// very different lengths in one batch, at one and two OpenMP threads (which must give the same bytes).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <tuple>

#include "fixture_util.hpp"
#include "onednn/model.hpp"

using namespace seqflow::onednn;

namespace {

constexpr int64_t kIn = 16, kHidden = 128, kSteps = 1000;

// A `layers`-layer `type` (bidirectional unless told) with PyTorch's default initialisation,
// U(-1/sqrt(H), 1/sqrt(H)).
std::shared_ptr<const SafetensorsFile> random_rnn(int64_t G, int layers = 2, bool bidirectional = true,
                                                  int64_t hidden = kHidden, int64_t proj = 0) {
  std::mt19937 rng(7);
  const float k = 1.f / std::sqrt(static_cast<float>(hidden));
  std::uniform_real_distribution<float> u(-k, k);
  auto tensor = [&](std::vector<int64_t> shape) {
    size_t n = 1;
    for (int64_t d : shape) n *= static_cast<size_t>(d);
    std::vector<float> v(n);
    for (float& x : v) x = u(rng);
    return std::make_pair(shape, v);
  };
  std::map<std::string, std::pair<std::vector<int64_t>, std::vector<float>>> t;
  const int D = bidirectional ? 2 : 1;
  for (int l = 0; l < layers; ++l)
    for (int d = 0; d < D; ++d) {
      const std::string s = "_l" + std::to_string(l) + (d == 1 ? "_reverse" : "");
      const int64_t out = proj > 0 ? proj : hidden;
      t["rnn.weight_ih" + s] = tensor({G * hidden, l == 0 ? kIn : D * out});
      t["rnn.weight_hh" + s] = tensor({G * hidden, out});
      if (proj > 0) t["rnn.weight_hr" + s] = tensor({proj, hidden});
      t["rnn.bias_ih" + s] = tensor({G * hidden});
      t["rnn.bias_hh" + s] = tensor({G * hidden});
    }
  return fixture::weights(t);
}

std::shared_ptr<const Model> build(const std::string& type, const SafetensorsFile& w, RnnKernel kernel,
                                   Precision precision = Precision::kF32, int layers = 2,
                                   bool bidirectional = true, int64_t proj = 0) {
  LayerConfig c;
  c.type = type == "rnn_relu" ? "rnn" : type;
  c.set("prefix", ConfigValue::string("rnn"));
  c.set("num_layers", ConfigValue::integer(layers));
  c.set("bidirectional", ConfigValue::boolean(bidirectional));
  if (type == "rnn_relu") c.set("nonlinearity", ConfigValue::string("relu"));
  if (proj > 0) c.set("proj_size", ConfigValue::integer(proj));
  ModelOptions opt;
  opt.rnn_kernel = kernel;
  opt.precision = precision;
  return Model::build({c}, w, opt);
}

std::vector<std::vector<float>> run(const Model& m, Workspace& ws, const std::vector<std::vector<float>>& x) {
  std::vector<SeqInput> in;
  for (const auto& r : x) {
    SeqInput s;
    s.features = r.data();
    s.length = static_cast<int64_t>(r.size()) / kIn;
    s.dim = kIn;
    in.push_back(s);
  }
  BatchOutput out = m.run(ws, in);
  std::vector<std::vector<float>> res;
  for (size_t i = 0; i < x.size(); ++i) {
    res.emplace_back(static_cast<size_t>(out.length(i) * out.dim()));
    out.copy(i, res.back().data());
  }
  return res;
}

double max_diff(const std::vector<float>& a, const std::vector<float>& b) {
  REQUIRE(a.size() == b.size());
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, static_cast<double>(std::fabs(a[i] - b[i])));
  return m;
}

// Records of kIn standard-normal features, `lengths[i]` steps each, drawn from `seed`.
std::vector<std::vector<float>> records(uint32_t seed, const std::vector<int64_t>& lengths) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd;
  std::vector<std::vector<float>> x;
  for (int64_t len : lengths) {
    x.emplace_back(static_cast<size_t>(len * kIn));
    for (float& v : x.back()) v = nd(rng);
  }
  return x;
}

}  // namespace

TEST_CASE("the matmul kernel equals the RNN primitive over long, ragged batches", "[onednn][rnn]") {
  // 16 records, lengths from 1 to 1000 steps: at 16 x 4 x 128 gate values per step the LSTM's input
  // is projected in 8 blocks, the GRU's in 6, the RNN's in 2.
  const std::vector<std::vector<float>> x =
      records(11, {kSteps, 1, 17, kSteps - 1, 128, 129, 500, 2, 640, 999, 3, 256, 700, 50, 127, kSteps});
  for (const auto& [type, G] :
       std::vector<std::pair<std::string, int64_t>>{{"lstm", 4}, {"gru", 3}, {"rnn", 1}, {"rnn_relu", 1}}) {
    INFO(type);
    auto w = random_rnn(G);
    auto prim = build(type, *w, RnnKernel::kPrimitive);
    auto mm = build(type, *w, RnnKernel::kMatmul);
    const std::vector<std::vector<float>> pair{x[3], x[5]};
    std::vector<std::vector<float>> one_thread, prim_one_thread, prim_pair;
    for (int threads : {1, 2}) {
      INFO("threads " << threads);
      Workspace ws(threads);
      std::vector<std::vector<float>> want = run(*prim, ws, x), got = run(*mm, ws, x);
      // The primitive splits each step across the threads, or for a batch this small (2 records)
      // runs a direction per thread: one thread's bytes either way.
      if (threads == 1) {
        prim_one_thread = want;
        prim_pair = run(*prim, ws, pair);
      } else {
        CHECK(want == prim_one_thread);
        CHECK(run(*prim, ws, pair) == prim_pair);
      }
      double worst = 0;
      for (size_t r = 0; r < x.size(); ++r) worst = std::max(worst, max_diff(got[r], want[r]));
      CHECK(worst <= 1e-4);
      // Alone equals batched for the records at both ends of the length range.
      for (size_t r : {size_t{0}, size_t{1}, size_t{10}})
        CHECK(max_diff(run(*mm, ws, {x[r]})[0], got[r]) <= 1e-5);
      // Two threads run one direction each, every step as one thread would: the same bytes.
      if (threads == 1) one_thread = got;
      else CHECK(got == one_thread);
    }
  }
}

TEST_CASE("int8 on the matmul kernel stays close to f32 over long sequences", "[onednn][rnn][precision]") {
  // Quantization error must not build up over 1000 steps; batch 1 also exercises the int8 weights
  // repacked for another batch size.
  const std::vector<std::vector<float>> x = records(13, {kSteps, 1, 300, 999});
  for (const auto& [type, G] :
       std::vector<std::pair<std::string, int64_t>>{{"lstm", 4}, {"gru", 3}, {"rnn", 1}}) {
    INFO(type);
    auto w = random_rnn(G);
    auto f32 = build(type, *w, RnnKernel::kPrimitive);
    auto i8 = build(type, *w, RnnKernel::kMatmul, Precision::kInt8);
    Workspace ws(1);
    std::vector<std::vector<float>> want = run(*f32, ws, x), got = run(*i8, ws, x);
    double worst = 0;
    for (size_t r = 0; r < x.size(); ++r) worst = std::max(worst, max_diff(got[r], want[r]));
    std::printf("int8 matmul kernel, %s: max abs error vs f32 %.4f over %zu records\n", type.c_str(), worst,
                x.size());
    CHECK(worst <= 0.05);  // |h| < 1; a drifting state would reach errors near 1
    CHECK(worst > 0);      // int8 really ran
    const double alone = max_diff(run(*i8, ws, {x[1]})[0], want[1]);
    CHECK(alone <= 0.05);
    Workspace ws2(2);  // one direction per thread, quantized as on one
    CHECK(run(*i8, ws2, x) == got);
    // A batch of 40 (auto takes the matmul kernel at int8 from batch 32 too, on weights repacked
    // for that batch size).
    std::vector<std::vector<float>> many;
    for (int i = 0; i < 10; ++i) many.insert(many.end(), x.begin(), x.end());
    std::vector<std::vector<float>> got_many =
        run(*build(type, *w, RnnKernel::kAuto, Precision::kInt8), ws, many);
    double worst_many = 0;
    for (size_t r = 0; r < many.size(); ++r)
      worst_many = std::max(worst_many, max_diff(got_many[r], want[r % x.size()]));
    CHECK(worst_many <= 0.05);
  }
}

TEST_CASE("unidirectional stacks on two threads run pipelined, with one thread's bytes", "[onednn][rnn]") {
  // Two threads run a unidirectional stack's layers side by side (int8, or rnn_kernel = "matmul"),
  // each a block behind the layer below; 5 layers make each thread run several, and reuse the
  // intermediate buffers. Ragged lengths from 1 to 1000 steps. (At int8 the tanh RNN's steps, 98k
  // multiply-adds at this batch, and any single record's run on the f32 primitive.)
  const std::vector<std::vector<float>> x = records(17, {kSteps, 1, 9, 333, 16, kSteps - 7});
  for (const auto& [type, G] :
       std::vector<std::pair<std::string, int64_t>>{{"lstm", 4}, {"gru", 3}, {"rnn", 1}}) {
    INFO(type);
    auto w = random_rnn(G, 5, false);
    Workspace one(1), two(2);
    const auto want = run(*build(type, *w, RnnKernel::kPrimitive, Precision::kF32, 5, false), one, x);
    for (Precision p : {Precision::kF32, Precision::kInt8}) {
      INFO("int8 " << (p == Precision::kInt8));
      auto m = build(type, *w, p == Precision::kF32 ? RnnKernel::kMatmul : RnnKernel::kAuto, p, 5, false);
      const auto got = run(*m, two, x);
      CHECK(run(*m, one, x) == got);
      double worst = 0;
      for (size_t r = 0; r < x.size(); ++r) worst = std::max(worst, max_diff(got[r], want[r]));
      CHECK(worst <= (p == Precision::kF32 ? 1e-4 : 0.05));
      CHECK(max_diff(run(*m, two, {x[3]})[0], got[3]) <= (p == Precision::kF32 ? 1e-5 : 0.05));
    }
  }
}

TEST_CASE("primitive stacks on two threads run in chunks side by side, with one thread's bytes",
          "[onednn][rnn]") {
  // Below batch 32, two threads run a unidirectional stack's layers on the RNN primitive a chunk of
  // steps at a time, each layer on one thread: the bytes must be those of one call per layer on one
  // thread. Widths and cells as in the test below, 2 and 5 layers (each thread runs several),
  // batches of one to 31 records of ragged lengths, the longest many chunks and a partial one.
  const std::vector<std::vector<float>> x = records(41, {100, 37, 64, 1, 9});
  for (const auto& [type, G, H, P, layers] :
       std::vector<std::tuple<std::string, int64_t, int64_t, int64_t, int>>{{"lstm", 4, 256, 0, 2},
                                                                            {"lstm", 4, 64, 0, 5},
                                                                            {"lstm", 4, 300, 100, 2},
                                                                            {"gru", 3, 256, 0, 3},
                                                                            {"gru", 3, 128, 0, 5},
                                                                            {"rnn", 1, 400, 0, 2},
                                                                            {"rnn_relu", 1, 200, 0, 3}}) {
    INFO(type << " " << H << " projection " << P << ", " << layers << " layers");
    auto w = random_rnn(G, layers, false, H, P);
    auto m = build(type, *w, RnnKernel::kAuto, Precision::kF32, layers, false, P);
    auto prim = build(type, *w, RnnKernel::kPrimitive, Precision::kF32, layers, false, P);
    Workspace one(1), two(2);
    for (size_t n : {1, 3, 16, 31}) {
      INFO("batch " << n);
      std::vector<std::vector<float>> xb;
      for (size_t i = 0; i < n; ++i) xb.push_back(x[i % x.size()]);
      const auto want = run(*m, one, xb);
      CHECK((run(*m, two, xb) == want));  // parenthesized: Catch would print both outputs
      CHECK((run(*prim, two, xb) == run(*prim, one, xb)));
    }
  }
}

TEST_CASE("int8 runs small recurrent steps as f32 does", "[onednn][rnn][precision]") {
  // At batch 1 a hidden-128 step is 16k-65k multiply-adds, where the matmul kernel's calls cost more
  // than int8 saves: `auto` runs it on the f32 primitive, to the byte. A batch of 16 is quantized.
  std::vector<int64_t> lengths;
  for (int i = 0; i < 16; ++i) lengths.push_back(50 + 7 * i);
  const std::vector<std::vector<float>> x = records(29, lengths);
  for (const auto& [type, G] :
       std::vector<std::pair<std::string, int64_t>>{{"lstm", 4}, {"gru", 3}, {"rnn", 1}}) {
    INFO(type);
    auto w = random_rnn(G);
    auto f32 = build(type, *w, RnnKernel::kAuto);
    auto i8 = build(type, *w, RnnKernel::kAuto, Precision::kInt8);
    Workspace ws(1);
    CHECK(run(*i8, ws, {x[0]}) == run(*f32, ws, {x[0]}));
    const auto want = run(*f32, ws, x), got = run(*i8, ws, x);
    double worst = 0;
    for (size_t r = 0; r < x.size(); ++r) worst = std::max(worst, max_diff(got[r], want[r]));
    CHECK(worst > 0);
    CHECK(worst <= 0.05);
  }
}

TEST_CASE("recurrent weights larger than a core's cache: auto takes the matmul kernel", "[onednn][rnn]") {
  // LSTM 512 (4 MB of W_hh per direction) at batch 1: two threads split each step's product rather
  // than running a layer or a direction each, and give one thread's bytes.
  const std::vector<std::vector<float>> x = records(23, {60});
  for (bool bidirectional : {false, true}) {
    INFO("bidirectional " << bidirectional);
    auto w = random_rnn(4, 2, bidirectional, 512);
    auto prim = build("lstm", *w, RnnKernel::kPrimitive, Precision::kF32, 2, bidirectional);
    auto mm = build("lstm", *w, RnnKernel::kMatmul, Precision::kF32, 2, bidirectional);
    auto aut = build("lstm", *w, RnnKernel::kAuto, Precision::kF32, 2, bidirectional);
    Workspace one(1), two(2);
    const auto want = run(*prim, one, x), got = run(*aut, one, x);
    CHECK(max_diff(got[0], want[0]) <= 1e-4);
    CHECK(run(*mm, one, x) == got);
    CHECK(run(*aut, two, x) == got);
    CHECK(run(*mm, two, x) == got);
  }
}

TEST_CASE("oneDNN's RNN primitive gives one thread's bytes at two threads", "[onednn][rnn]") {
  // Widths whose steps are too large for the one-thread rule of small steps, at batch 1 (where
  // oneDNN 2.6 rounded GRU 256, RNN 400 and LSTM 520 with projection 173 differently on two
  // threads) and at batch 3.
  const std::vector<std::vector<float>> x = records(31, {100, 37, 64});
  for (const auto& [type, G, H, P] :
       std::vector<std::tuple<std::string, int64_t, int64_t, int64_t>>{{"lstm", 4, 256, 0},
                                                                       {"lstm", 4, 520, 173},
                                                                       {"gru", 3, 256, 0},
                                                                       {"gru", 3, 300, 0},
                                                                       {"rnn", 1, 400, 0},
                                                                       {"rnn", 1, 520, 0}}) {
    INFO(type << " " << H << " projection " << P);
    auto w = random_rnn(G, 1, false, H, P);
    auto m = build(type, *w, RnnKernel::kPrimitive, Precision::kF32, 1, false, P);
    Workspace one(1), two(2);
    CHECK(run(*m, two, {x[0]}) == run(*m, one, {x[0]}));
    CHECK(run(*m, two, x) == run(*m, one, x));
  }
}

TEST_CASE("recurrent layers over more than 1024 inputs give one thread's bytes", "[onednn][rnn]") {
  // A bidirectional GRU 520's second layer reads 1040 inputs; at a few short records oneDNN's inner
  // product would split that sum across two threads (the matmul kernel's input projection).
  const std::vector<std::vector<float>> x = records(37, {40, 33, 12});
  auto w = random_rnn(3, 2, true, 520);
  for (RnnKernel k : {RnnKernel::kAuto, RnnKernel::kMatmul, RnnKernel::kPrimitive}) {
    INFO("kernel " << static_cast<int>(k));
    auto m = build("gru", *w, k);
    Workspace one(1), two(2);
    CHECK(run(*m, two, x) == run(*m, one, x));
  }
}

TEST_CASE("a workspace outlives the models it ran", "[onednn][rnn]") {
  // Models built and dropped one after another often land at a dropped one's addresses: primitives
  // and reordered weights cached in the workspace must not be handed to the new model.
  const std::vector<std::vector<float>> x = records(19, {40, 7, 33});
  Workspace shared(1);
  for (int i = 0; i < 8; ++i) {
    INFO("model " << i);
    const bool bidirectional = i % 3 != 0;
    auto w = random_rnn(4, 2, bidirectional);
    auto m =
        build("lstm", *w, RnnKernel::kMatmul, i % 2 ? Precision::kInt8 : Precision::kF32, 2, bidirectional);
    Workspace fresh(1);
    CHECK(run(*m, shared, x) == run(*m, fresh, x));
  }
}
