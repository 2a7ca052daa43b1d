// onednn_bench: one benchmark case through seqflow's onednn core (exactly what onednn.run does per
// batch: gather records, run the layers, copy each record's output) or through raw oneDNN primitives
// with no seqflow around them (the best hand-written use of the same primitives), one JSON line out.
//
// Usage: onednn_bench --model DIR --impl seqflow|raw [--batch B] [--threads N] [--repeat R]
//        [--min-time S] [--precision f32|bf16|int8] [--rnn-kernel auto|primitive|matmul]
//        [--new-lengths N]
// --new-lengths N (seqflow): instead of timing one length, runs batches of the N lengths T - 1 ... T - N
// in turn, each twice: a stream of batches whose longest records differ, as the engine's length
// grouping brings. first_s is the median time of a length's first batch, again_s of its second;
// frames_per_s counts the first batches.
// Times at least R runs (default 3) and at least S seconds of runs (default 0.5) after a warm-up run.
// DIR is a case folder written by make_models.py (meta.json, layers.toml, model.safetensors).
// The raw peer runs the same shapes: fused multi-layer bidirectional RNN primitives where oneDNN allows
// them (layers of equal input width), and a Transformer built of inner products with fused bias,
// activation and residual (sum post-op), batched 4-D matmuls for attention, oneDNN softmax and layer
// normalisation. Its weights are random (values do not change the speed).
#include <omp.h>
#include <toml++/toml.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "onednn/model.hpp"

using namespace seqflow::onednn;
using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;
using dims = dnnl::memory::dims;

namespace {

struct Meta {
  std::string kind;  // lstm | gru | transformer
  int64_t I = 0, H = 0, L = 1, D = 1, T = 0, B = 0;
  int64_t d = 0, heads = 0, ff = 0;
};

Meta read_meta(const std::string& dir) {
  std::ifstream in(dir + "/meta.json");
  nlohmann::json j = nlohmann::json::parse(in);
  Meta m;
  m.kind = j.at("kind");
  m.T = j.at("T");
  m.B = j.at("B");
  if (m.kind == "transformer") {
    m.d = j.at("d");
    m.heads = j.at("heads");
    m.ff = j.at("ff");
    m.L = j.at("L");
  } else {
    m.I = j.at("I");
    m.H = j.at("H");
    m.L = j.at("L");
    m.D = j.at("D");
  }
  return m;
}

double flops(const Meta& m) {
  if (m.kind == "transformer") {
    const double N = static_cast<double>(m.B * m.T), d = static_cast<double>(m.d);
    const double per = 2 * N * d * 3 * d + 2 * N * d * d + 4 * N * d * m.ff + 4.0 * m.B * m.T * m.T * d;
    return per * m.L;
  }
  const double G = m.kind == "lstm" ? 4 : 3;
  double f = 0;
  for (int64_t l = 0; l < m.L; ++l) {
    const double in = l == 0 ? m.I : m.D * m.H;
    f += m.D * 2.0 * m.T * m.B * G * m.H * (in + m.H);
  }
  return f;
}

std::vector<LayerConfig> read_layers(const std::string& path) {
  toml::table t = toml::parse_file(path);
  std::vector<LayerConfig> out;
  for (const toml::node& n : *t["layers"].as_array()) {
    LayerConfig c;
    for (const auto& [k, v] : *n.as_table()) {
      std::string key(k.str());
      if (key == "type") c.type = v.as_string()->get();
      else if (v.is_boolean()) c.set(key, ConfigValue::boolean(v.as_boolean()->get()));
      else if (v.is_integer()) c.set(key, ConfigValue::integer(v.as_integer()->get()));
      else if (v.is_floating_point()) c.set(key, ConfigValue::real(v.as_floating_point()->get()));
      else c.set(key, ConfigValue::string(v.as_string()->get()));
    }
    out.push_back(std::move(c));
  }
  return out;
}

void fill(dnnl::memory& m, float scale, uint32_t seed) {
  std::mt19937 g(seed);
  std::uniform_real_distribution<float> u(-scale, scale);
  if (m.get_desc().data_type() != dt::f32) return;
  float* p = static_cast<float*>(m.get_data_handle());
  for (size_t i = 0; i < m.get_desc().get_size() / 4; ++i) p[i] = u(g);
}

dnnl::memory make(const dnnl::memory::desc& d, const dnnl::engine& e, float scale = 0.1f, uint32_t seed = 1) {
  dnnl::memory m(d, e);
  fill(m, scale, seed);
  return m;
}

// ---- raw oneDNN peers: build() returns the function that runs one batch ----

using Runner = std::function<void()>;

Runner raw_rnn(const Meta& m, dnnl::stream& s) {
  const dnnl::engine& e = cpu_engine();
  const int64_t G = m.kind == "lstm" ? 4 : 3, BG = m.kind == "lstm" ? 4 : 4;
  const auto dir =
      m.D == 2 ? dnnl::rnn_direction::bidirectional_concat : dnnl::rnn_direction::unidirectional_left2right;
  // oneDNN stacks layers in one primitive only when each layer's input width equals the hidden size,
  // and then each direction feeds only itself (not PyTorch's semantics for bidirectional stacks): a
  // unidirectional stack fuses all layers after the first, a bidirectional one runs layer by layer.
  struct Part {
    dnnl::primitive p;
    std::unordered_map<int, dnnl::memory> args;
  };
  auto parts = std::make_shared<std::vector<Part>>();
  std::vector<std::pair<int64_t, int64_t>> groups;  // (input width, layers)
  if (m.D == 2) {
    for (int64_t l = 0; l < m.L; ++l) groups.push_back({l == 0 ? m.I : 2 * m.H, 1});
  } else if (m.I == m.H) {
    groups.push_back({m.I, m.L});
  } else {
    groups.push_back({m.I, 1});
    if (m.L > 1) groups.push_back({m.H, m.L - 1});
  }
  dnnl::memory prev;
  for (auto [in, L] : groups) {
    dnnl::memory::desc src({m.T, m.B, in}, dt::f32, tag::tnc), dst({m.T, m.B, m.D * m.H}, dt::f32, tag::tnc);
    // Each cell kind and batch size in the weight format that runs it fastest and correctly in oneDNN
    // 2.6 (see layers_rnn.cpp): blocked (brgemm) for LSTM batches of 32 or more, else plain.
    const tag wt = m.kind == "lstm" && m.B >= 32 ? tag::any : tag::ldigo;
    dnnl::memory::desc wl({L, m.D, in, G, m.H}, dt::f32, wt), wi({L, m.D, m.H, G, m.H}, dt::f32, wt);
    dnnl::memory::desc b({L, m.D, m.kind == "lstm" ? BG : 4, m.H}, dt::f32, tag::ldgo);
    dnnl::primitive_desc pd;
    const auto inf = dnnl::prop_kind::forward_inference;
    if (m.kind == "lstm")
      pd = dnnl::lstm_forward::primitive_desc(
          dnnl::lstm_forward::desc(inf, dir, src, {}, {}, wl, wi, b, dst, {}, {}), e);
    else
      pd = dnnl::lbr_gru_forward::primitive_desc(
          dnnl::lbr_gru_forward::desc(inf, dir, src, {}, wl, wi, b, dst, {}), e);
    Part part;
    part.p = dnnl::primitive(pd.get());
    dnnl::memory srcm = prev ? prev : make(src, e, 1.f, 7);
    dnnl::memory dstm(dst, e);
    part.args = {
        {DNNL_ARG_SRC_LAYER, srcm},
        {DNNL_ARG_DST_LAYER, dstm},
        {DNNL_ARG_WEIGHTS_LAYER, make(pd.query_md(dnnl::query::exec_arg_md, DNNL_ARG_WEIGHTS_LAYER), e)},
        {DNNL_ARG_WEIGHTS_ITER, make(pd.query_md(dnnl::query::exec_arg_md, DNNL_ARG_WEIGHTS_ITER), e)},
        {DNNL_ARG_BIAS, make(b, e)},
        {DNNL_ARG_SCRATCHPAD, dnnl::memory(pd.scratchpad_desc(), e)}};
    if (pd.workspace_desc().get_size() > 0)
      part.args[DNNL_ARG_WORKSPACE] = dnnl::memory(pd.workspace_desc(), e);
    parts->push_back(std::move(part));
    prev = dstm;
  }
  return [parts, &s] {
    for (Part& p : *parts) p.p.execute(s, p.args);
    s.wait();
  };
}

Runner raw_transformer(const Meta& m, dnnl::stream& s) {
  const dnnl::engine& e = cpu_engine();
  const int64_t N = m.B * m.T, d = m.d, H = m.heads, dh = d / H, T = m.T, B = m.B;
  struct Step {
    dnnl::primitive p;
    std::unordered_map<int, dnnl::memory> args;
  };
  auto steps = std::make_shared<std::vector<Step>>();
  dnnl::memory x = make({{N, d}, dt::f32, tag::ab}, e, 1.f, 3);
  dnnl::memory qkv({{N, 3 * d}, dt::f32, tag::ab}, e), ctx({{N, d}, dt::f32, tag::ab}, e);
  dnnl::memory hid({{N, m.ff}, dt::f32, tag::ab}, e), scores({{B, H, T, T}, dt::f32, tag::abcd}, e);
  auto ip = [&](const dnnl::memory& src, const dnnl::memory& dst, int64_t in, int64_t out, bool relu,
                bool sum) {
    dnnl::primitive_attr a;
    dnnl::post_ops ops;
    if (sum) ops.append_sum(1.f);
    if (relu) ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
    a.set_post_ops(ops);
    dnnl::memory::desc w({out, in}, dt::f32, tag::any), b({out}, dt::f32, tag::a);
    dnnl::inner_product_forward::primitive_desc pd(
        dnnl::inner_product_forward::desc(dnnl::prop_kind::forward_inference, src.get_desc(), w, b,
                                          dst.get_desc()),
        a, e);
    steps->push_back({dnnl::inner_product_forward(pd),
                      {{DNNL_ARG_SRC, src},
                       {DNNL_ARG_DST, dst},
                       {DNNL_ARG_WEIGHTS, make(pd.weights_desc(), e)},
                       {DNNL_ARG_BIAS, make(b, e)}}});
  };
  auto mm = [&](const dnnl::memory::desc& a, void* ap, const dnnl::memory::desc& b, void* bp,
                const dnnl::memory::desc& c, void* cp, float scale) {
    dnnl::primitive_attr at;
    at.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    if (scale != 1.f) at.set_output_scales(0, {scale});
    dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a, b, c), at, e);
    steps->push_back({dnnl::matmul(pd),
                      {{DNNL_ARG_SRC, dnnl::memory(a, e, ap)},
                       {DNNL_ARG_WEIGHTS, dnnl::memory(b, e, bp)},
                       {DNNL_ARG_DST, dnnl::memory(c, e, cp)},
                       {DNNL_ARG_SCRATCHPAD, dnnl::memory(pd.scratchpad_desc(), e)}}});
  };
  auto ln = [&](const dnnl::memory& data) {
    dnnl::layer_normalization_forward::primitive_desc pd(
        dnnl::layer_normalization_forward::desc(
            dnnl::prop_kind::forward_inference, data.get_desc(), 1e-5f,
            dnnl::normalization_flags::use_scale | dnnl::normalization_flags::use_shift),
        e);
    steps->push_back({dnnl::layer_normalization_forward(pd),
                      {{DNNL_ARG_SRC, data},
                       {DNNL_ARG_DST, data},
                       {DNNL_ARG_SCALE, make({{d}, dt::f32, tag::a}, e)},
                       {DNNL_ARG_SHIFT, make({{d}, dt::f32, tag::a}, e)}}});
  };
  float* q = static_cast<float*>(qkv.get_data_handle());
  for (int64_t l = 0; l < m.L; ++l) {
    ip(x, qkv, d, 3 * d, false, false);
    // One 3-D matmul per sequence over strided views of the projections: as fast here as one 4-D
    // matmul over the whole batch (measured 13-15 ms both, case d, one thread).
    float* sc = static_cast<float*>(scores.get_data_handle());
    float* c = static_cast<float*>(ctx.get_data_handle());
    dnnl::memory::desc sd({H, T, T}, dt::f32, tag::abc);
    for (int64_t b = 0; b < B; ++b) {
      float* qb = q + b * T * 3 * d;
      mm({{H, T, dh}, dt::f32, dims{dh, 3 * d, 1}}, qb, {{H, dh, T}, dt::f32, dims{dh, 1, 3 * d}}, qb + d, sd,
         sc + b * H * T * T, 1.f / std::sqrt(static_cast<float>(dh)));
    }
    dnnl::memory::desc sm({B * H * T, T}, dt::f32, tag::ab);
    dnnl::softmax_forward::primitive_desc spd(
        dnnl::softmax_forward::desc(dnnl::prop_kind::forward_inference, sm, 1), e);
    dnnl::memory smm(sm, e, scores.get_data_handle());
    steps->push_back({dnnl::softmax_forward(spd), {{DNNL_ARG_SRC, smm}, {DNNL_ARG_DST, smm}}});
    for (int64_t b = 0; b < B; ++b) {
      float* qb = q + b * T * 3 * d;
      mm(sd, sc + b * H * T * T, {{H, T, dh}, dt::f32, dims{dh, 3 * d, 1}}, qb + 2 * d,
         {{H, T, dh}, dt::f32, dims{dh, d, 1}}, c + b * T * d, 1.f);
    }
    ip(ctx, x, d, d, false, true);  // x += out_proj(ctx)
    ln(x);
    ip(x, hid, d, m.ff, true, false);
    ip(hid, x, m.ff, d, false, true);  // x += linear2(relu(linear1(x)))
    ln(x);
  }
  // The steps hold non-owning views of `scores` and `ctx`: the runner keeps them alive.
  return [steps, scores, ctx, &s] {
    for (Step& st : *steps) st.p.execute(s, st.args);
    s.wait();
  };
}

}  // namespace

// --new-lengths: batches of lengths T - 1 ... T - n, each run twice; one JSON line.
int time_new_lengths(const Meta& m, std::vector<SeqInput>& in, const Runner& run, int64_t n, int threads,
                     const std::string& precision, const std::string& rnn_kernel) {
  std::vector<double> first, again;
  double frames = 0;
  auto timed = [&] {
    auto t0 = std::chrono::steady_clock::now();
    run();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  for (int64_t k = 1; k <= n; ++k) {
    for (SeqInput& s : in) s.length = m.T - k;
    frames += static_cast<double>(m.B * (m.T - k));
    first.push_back(timed());
    again.push_back(timed());
  }
  std::sort(first.begin(), first.end());
  std::sort(again.begin(), again.end());
  const double f = first[first.size() / 2], a = again[again.size() / 2];
  std::printf(
      "{\"impl\": \"seqflow\", \"precision\": \"%s\", \"rnn_kernel\": \"%s\", \"threads\": %d, "
      "\"batch\": %ld, \"steps\": %ld, \"new_lengths\": %ld, \"first_s\": %.6f, \"again_s\": %.6f, "
      "\"frames_per_s\": %.1f}\n",
      precision.c_str(), rnn_kernel.c_str(), threads, static_cast<long>(m.B), static_cast<long>(m.T),
      static_cast<long>(n), f, a, frames / static_cast<double>(n) / f);
  return 0;
}

int main(int argc, char** argv) {
  std::string dir, impl = "seqflow", precision = "f32", rnn_kernel = "auto";
  int threads = 1, repeat = 3;
  double min_time = 0.5;
  int64_t batch = 0, new_lengths = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    // A number option's value must be a whole number: stoi would stop at "2x" or throw on "x".
    const bool numeric = k == "--threads" || k == "--repeat" || k == "--batch" || k == "--new-lengths";
    if (numeric && (v.empty() || v.find_first_not_of("0123456789") != std::string::npos)) {
      std::fprintf(stderr, "%s takes a whole number, got '%s'\n", k.c_str(), v.c_str());
      return 2;
    }
    if (k == "--min-time" &&
        (std::strtod(v.c_str(), nullptr) <= 0 || v.find_first_not_of("0123456789.") != std::string::npos)) {
      std::fprintf(stderr, "--min-time takes seconds (a positive number), got '%s'\n", v.c_str());
      return 2;
    }
    if (k == "--model") dir = v;
    else if (k == "--impl") impl = v;
    else if (k == "--threads") threads = std::stoi(v);
    else if (k == "--repeat") repeat = std::stoi(v);
    else if (k == "--min-time") min_time = std::stod(v);
    else if (k == "--batch") batch = std::stoll(v);
    else if (k == "--precision") precision = v;
    else if (k == "--rnn-kernel") rnn_kernel = v;
    else if (k == "--new-lengths") new_lengths = std::stoll(v);
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  if (dir.empty()) {
    std::fprintf(stderr,
                 "usage: onednn_bench --model DIR --impl seqflow|raw [--batch B] [--threads N] [--repeat R] "
                 "[--min-time S] [--precision f32|bf16|int8] [--rnn-kernel auto|primitive|matmul] "
                 "[--new-lengths N]\n");
    return 2;
  }
  if (threads < 1 || repeat < 1) {
    std::fprintf(stderr, "--threads and --repeat take at least 1\n");
    return 2;
  }
  Meta m = read_meta(dir);
  if (batch > 0) m.B = batch;
  if (new_lengths < 0 || new_lengths >= m.T || (new_lengths > 0 && impl != "seqflow")) {
    std::fprintf(stderr, "--new-lengths takes 1 to %ld (the case's steps - 1), with --impl seqflow only\n",
                 static_cast<long>(m.T - 1));
    return 2;
  }
  omp_set_num_threads(threads);
  Runner run;
  dnnl::stream s(cpu_engine());
  std::shared_ptr<const Model> model;
  std::unique_ptr<Workspace> ws;
  std::vector<std::vector<float>> inputs, outputs;
  std::vector<SeqInput> in;
  if (impl == "seqflow") {
    ModelOptions opt;
    opt.precision = precision == "int8"   ? Precision::kInt8
                    : precision == "bf16" ? Precision::kBF16
                                          : Precision::kF32;
    opt.rnn_kernel = rnn_kernel == "matmul"      ? RnnKernel::kMatmul
                     : rnn_kernel == "primitive" ? RnnKernel::kPrimitive
                                                 : RnnKernel::kAuto;
    auto w = SafetensorsFile::open(dir + "/model.safetensors");
    model = Model::build(read_layers(dir + "/layers.toml"), *w, opt);
    ws = std::make_unique<Workspace>(threads);
    const int64_t F = m.kind == "transformer" ? m.d : m.I;
    std::mt19937 g(5);
    std::normal_distribution<float> nd;
    for (int64_t b = 0; b < m.B; ++b) {
      inputs.emplace_back(static_cast<size_t>(m.T * F));
      for (float& v : inputs.back()) v = nd(g);
      SeqInput si;
      si.features = inputs.back().data();
      si.length = m.T;
      si.dim = F;
      in.push_back(si);
      outputs.emplace_back(static_cast<size_t>(m.T * model->output_dim()));
    }
    run = [&] {
      BatchOutput out = model->run(*ws, in);
      for (size_t b = 0; b < in.size(); ++b) out.copy(b, outputs[b].data());
    };
  } else if (impl == "raw") {
    run = m.kind == "transformer" ? raw_transformer(m, s) : raw_rnn(m, s);
  } else {
    std::fprintf(stderr, "unknown --impl %s\n", impl.c_str());
    return 2;
  }
  run();  // warm-up: primitives, weight reorders, page faults
  if (new_lengths > 0) return time_new_lengths(m, in, run, new_lengths, threads, precision, rnn_kernel);
  // At least `repeat` runs and `min_time` seconds of them: a case that runs in milliseconds (b1) would
  // otherwise be timed over a few milliseconds, where one busy moment of a neighbour decides the best.
  std::vector<double> secs;
  for (double total = 0; static_cast<int>(secs.size()) < repeat || total < min_time;) {
    auto t0 = std::chrono::steady_clock::now();
    run();
    secs.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    total += secs.back();
  }
  std::sort(secs.begin(), secs.end());
  const double best = secs.front(), median = secs[secs.size() / 2];
  std::printf(
      "{\"impl\": \"%s\", \"precision\": \"%s\", \"rnn_kernel\": \"%s\", \"threads\": %d, \"batch\": %ld, "
      "\"steps\": %ld, "
      "\"best_s\": %.6f, "
      "\"median_s\": %.6f, \"runs\": %zu, \"frames_per_s\": %.1f, \"gflops\": %.2f}\n",
      impl.c_str(), impl == "raw" ? "f32" : precision.c_str(), impl == "raw" ? "-" : rnn_kernel.c_str(),
      threads, static_cast<long>(m.B), static_cast<long>(m.T), best, median, secs.size(),
      static_cast<double>(m.B * m.T) / best, flops(m) / best / 1e9);
  return 0;
}
