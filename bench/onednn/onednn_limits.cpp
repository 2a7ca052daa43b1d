// onednn_limits: two facts about the installed oneDNN that bench/onednn/README.md and
// plugins/onednn/README.md rely on, measured on the machine that runs it.
//   1. Which RNN cells accept int8 (u8 data, s8 weights) for inference: PyTorch's GRU is oneDNN's
//      linear-before-reset GRU, so whether lbr_gru does decides whether a PyTorch GRU can run on int8.
//   2. The f32 GFLOP/s of the recurrent step's matrix product (batch x hidden by hidden x 4*hidden, weights
//      pre-packed in the layout oneDNN picks), one thread: the ceiling of an f32 LSTM step here. The
//      weights hold values (pages never written would all map to one zero page and sit in L1), so a
//      product whose weights outgrow the core's L2 shows what streaming them from L3 costs.
// Usage: OMP_NUM_THREADS=1 onednn_limits
#include <dnnl.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <unordered_map>

namespace {

using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;

const dnnl::engine& cpu() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

// Creates an int8 forward-inference descriptor for `cell`; "" on success, else oneDNN's message.
std::string try_int8(const std::string& cell) {
  const int64_t T = 50, N = 16, C = 80, H = 512;
  const int64_t G = cell == "lstm" ? 4 : cell == "vanilla_rnn" ? 1 : 3;
  const int64_t bias_gates = cell == "lbr_gru" ? 4 : G;
  dnnl::memory::desc src({T, N, C}, dt::u8, tag::tnc), dst({T, N, H}, dt::u8, tag::tnc);
  dnnl::memory::desc wl({1, 1, C, G, H}, dt::s8, tag::any), wi({1, 1, H, G, H}, dt::s8, tag::any);
  dnnl::memory::desc bias({1, 1, bias_gates, H}, dt::f32, tag::ldgo);
  dnnl::primitive_attr attr;
  attr.set_rnn_data_qparams(63.f, 64.f);
  attr.set_rnn_weights_qparams((1 << 3) + (1 << 4), std::vector<float>(static_cast<size_t>(G * H), 1.f));
  const auto inf = dnnl::prop_kind::forward_inference;
  const auto dir = dnnl::rnn_direction::unidirectional_left2right;
  try {
    if (cell == "lstm")
      dnnl::lstm_forward::primitive_desc(
          dnnl::lstm_forward::desc(inf, dir, src, {}, {}, wl, wi, bias, dst, {}, {}), attr, cpu());
    else if (cell == "vanilla_gru")
      dnnl::gru_forward::primitive_desc(dnnl::gru_forward::desc(inf, dir, src, {}, wl, wi, bias, dst, {}),
                                        attr, cpu());
    else if (cell == "lbr_gru")
      dnnl::lbr_gru_forward::primitive_desc(
          dnnl::lbr_gru_forward::desc(inf, dir, src, {}, wl, wi, bias, dst, {}), attr, cpu());
    else
      dnnl::vanilla_rnn_forward::primitive_desc(
          dnnl::vanilla_rnn_forward::desc(inf, dnnl::algorithm::eltwise_tanh, dir, src, {}, wl, wi, bias, dst,
                                          {}),
          attr, cpu());
    return "";
  } catch (const dnnl::error& e) {
    return e.what();
  }
}

// The best of 5 batches of 200 products: ms per product and GFLOP/s.
void step_product(int64_t M, int64_t K, int64_t N) {
  dnnl::stream s(cpu());
  dnnl::memory::desc a({M, K}, dt::f32, tag::ab), b({K, N}, dt::f32, tag::any), c({M, N}, dt::f32, tag::ab);
  dnnl::primitive_attr attr;
  dnnl::post_ops ops;
  ops.append_sum(1.f);  // the step adds h W to the precomputed input projection
  attr.set_post_ops(ops);
  dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a, b, c), attr, cpu());
  dnnl::memory am(a, cpu()), bm(pd.weights_desc(), cpu()), cm(c, cpu());
  for (const dnnl::memory& m : {am, bm, cm}) {
    auto* p = static_cast<float*>(m.get_data_handle());
    const size_t n = m.get_desc().get_size() / sizeof(float);
    for (size_t i = 0; i < n; ++i) p[i] = 1e-3f * static_cast<float>(i % 7);
  }
  dnnl::matmul mm(pd);
  std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, am}, {DNNL_ARG_WEIGHTS, bm}, {DNNL_ARG_DST, cm}};
  double best = 1e30;
  for (int round = 0; round < 5; ++round) {
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < 200; ++i) mm.execute(s, args);
    s.wait();
    best = std::min(
        best, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() / 200);
  }
  std::printf("  %3lld x %4lld by %4lld x %4lld (%4.1f MB)  %-22s %.3f ms  %.1f GFLOP/s\n",
              static_cast<long long>(M), static_cast<long long>(K), static_cast<long long>(K),
              static_cast<long long>(N), static_cast<double>(K * N * 4) / (1 << 20), pd.impl_info_str(), best,
              2.0 * static_cast<double>(M * K * N) / best / 1e6);
}

}  // namespace

int main() {
  const dnnl_version_t* v = dnnl_version();
  std::printf("oneDNN %d.%d.%d\nint8 (u8 data, s8 weights) RNN inference descriptors:\n", v->major, v->minor,
              v->patch);
  for (const char* cell : {"lstm", "vanilla_gru", "lbr_gru", "vanilla_rnn"}) {
    const std::string why = try_int8(cell);
    std::printf("  %-12s %s\n", cell, why.empty() ? "supported" : ("refused: " + why).c_str());
  }
  std::printf("f32 recurrent-step product, pre-packed weights (set OMP_NUM_THREADS=1 for one core):\n");
  for (int64_t M : {16, 64})
    for (int64_t K : {256, 512}) step_product(M, K, 4 * K);
  return 0;
}
