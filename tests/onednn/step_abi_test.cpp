// The step interface as a decoder module sees it: load seqflow_onednn.so, create an onednn.model
// resource through the C ABI (sf_resource_type.create with a parameter tree), ask it for
// seqflow.onednn.step v1, and decode the `lm` fixture row by row, with a beam-style reorder.
#include <seqflow/onednn_step.h>
#include <seqflow/plugin_abi.h>
#include <catch2/catch.hpp>

#include <dlfcn.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "fixture_util.hpp"

namespace fs = std::filesystem;

namespace {

sf_value str(const char* s) {
  sf_value v{};
  v.kind = SF_VALUE_STRING;
  v.s = s;
  v.size = std::strlen(s);
  return v;
}
sf_value integer(int64_t i) {
  sf_value v{};
  v.kind = SF_VALUE_INT;
  v.i = i;
  return v;
}
sf_value boolean(bool b) {
  sf_value v{};
  v.kind = SF_VALUE_BOOL;
  v.i = b ? 1 : 0;
  return v;
}
sf_value table(const char* const* keys, const sf_value* items, size_t n) {
  sf_value v{};
  v.kind = SF_VALUE_TABLE;
  v.keys = keys;
  v.items = items;
  v.size = n;
  return v;
}

struct Module {
  void* handle = nullptr;
  const sf_module* m = nullptr;
  const sf_resource_type* model = nullptr;
  Module() {
    const std::string path = std::string(SEQFLOW_BINARY_DIR) + "/lib/seqflow/plugins/seqflow_onednn.so";
    handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    REQUIRE(handle != nullptr);
    auto entry = reinterpret_cast<sf_entry_fn>(dlsym(handle, SF_ENTRY_SYMBOL));
    REQUIRE(entry != nullptr);
    m = entry(SF_ABI_MAJOR, SF_ABI_MINOR);
    static sf_host host{};  // resources use no host function at create time
    host.struct_size = sizeof(host);
    host.abi_major = SF_ABI_MAJOR;
    host.abi_minor = SF_ABI_MINOR;
    sf_error err{};
    REQUIRE(m->init(&host, &err) == SF_OK);
    for (uint32_t i = 0; i < m->num_resources; ++i)
      if (std::string(m->resources[i]->name) == "model") model = m->resources[i];
    REQUIRE(model != nullptr);
  }
};

}  // namespace

TEST_CASE("seqflow.onednn.step v1 through the module's C ABI decodes like PyTorch", "[onednn][step][abi]") {
  Module mod;
  const fs::path dir = fs::path(ONEDNN_FIXTURES) / "lm";
  const std::string weights = (dir / "model.safetensors").string();
  // layers of the lm fixture, as the engine would pass them
  const char* emb_k[] = {"type", "prefix"};
  sf_value emb_v[] = {str("embedding"), str("emb")};
  const char* pe_k[] = {"type", "kind", "max_len"};
  sf_value pe_v[] = {str("positional_encoding"), str("sinusoidal"), integer(64)};
  const char* blk_k[] = {"type", "prefix", "nhead", "causal", "norm_first"};
  sf_value b0_v[] = {str("transformer_encoder_layer"), str("blocks.0"), integer(4), boolean(true),
                     boolean(true)};
  sf_value b1_v[] = {str("transformer_encoder_layer"), str("blocks.1"), integer(4), boolean(true),
                     boolean(true)};
  const char* pre_k[] = {"type", "prefix"};
  sf_value ln_v[] = {str("layer_norm"), str("ln_f")};
  sf_value head_v[] = {str("linear"), str("head")};
  const char* t_k[] = {"type"};
  sf_value ls_v[] = {str("log_softmax")};
  sf_value layers[] = {table(emb_k, emb_v, 2), table(pe_k, pe_v, 3),  table(blk_k, b0_v, 5),
                       table(blk_k, b1_v, 5),  table(pre_k, ln_v, 2), table(pre_k, head_v, 2),
                       table(t_k, ls_v, 1)};
  sf_value layers_v{};
  layers_v.kind = SF_VALUE_ARRAY;
  layers_v.items = layers;
  layers_v.size = 7;
  const char* keys[] = {"weights", "layers", "precision", "rnn_kernel"};
  sf_value items[] = {str(weights.c_str()), layers_v, str("f32"), str("auto")};
  sf_value params = table(keys, items, 4);
  sf_create_args args{};
  args.struct_size = sizeof(args);
  args.params = &params;
  args.stage_name = "lm";
  args.pipeline_dir = ".";
  void* object = nullptr;
  sf_error err{};
  REQUIRE(mod.model->create(&args, &object, &err) == SF_OK);

  sf_interface iface{};
  iface.struct_size = sizeof(iface);
  CHECK(mod.model->get_interface(object, SF_ONEDNN_STEP_INTERFACE, 2, &iface) == SF_ERR_UNSUPPORTED);
  REQUIRE(mod.model->get_interface(object, SF_ONEDNN_STEP_INTERFACE, 1, &iface) == SF_OK);
  CHECK(iface.version == 1);
  const auto* step = static_cast<const sf_onednn_step_v1*>(iface.vtable);
  REQUIRE(step->struct_size >= sizeof(sf_onednn_step_v1));
  sf_onednn_model_info info{};
  step->info(object, &info);
  CHECK(info.takes_tokens == 1);
  CHECK(info.output_dim == 40);
  CHECK(info.memory_dim == 0);
  CHECK(info.can_step == 1);

  // Rows 0 and 1 decode records 0 and 2; after 3 steps the beam keeps row 1 twice.
  fixture::Npy x0 = fixture::read_npy(dir / "inputs" / "r0.npy"),
               x2 = fixture::read_npy(dir / "inputs" / "r2.npy");
  fixture::Npy e0 = fixture::read_npy(dir / "expected" / "r0.npy"),
               e2 = fixture::read_npy(dir / "expected" / "r2.npy");
  sf_onednn_session* s = nullptr;
  REQUIRE(step->begin(object, 2, nullptr, 1, &s, &err) == SF_OK);
  std::vector<float> out(2 * 40);
  double worst = 0;
  for (int64_t t = 0; t < 6; ++t) {
    if (t == 3) {
      const uint32_t rows[2] = {1, 1};
      REQUIRE(step->reorder(s, rows, 2, &err) == SF_OK);
    }
    int64_t tok[2] = {t < 3 ? x0.i[t] : x2.i[t], x2.i[t]};
    REQUIRE(step->step(s, tok, nullptr, out.data(), &err) == SF_OK);
    for (int row = 0; row < 2; ++row) {
      const fixture::Npy& e = (row == 0 && t < 3) ? e0 : e2;
      for (int c = 0; c < 40; ++c)
        worst = std::max(worst, static_cast<double>(std::fabs(out[row * 40 + c] - e.f[t * 40 + c])));
    }
  }
  CHECK(worst <= 1e-4);
  uint32_t rows = 0;
  int64_t pos = 0;
  step->shape(s, &rows, &pos);
  CHECK(rows == 2);
  CHECK(pos == 6);
  int64_t bad[2] = {0, 40};
  CHECK(step->step(s, bad, nullptr, out.data(), &err) == SF_ERR_INVALID);
  CHECK(std::string(err.message).find("token id 40 is outside the embedding's range [0, 40)") !=
        std::string::npos);
  const uint32_t oob[1] = {7};
  CHECK(step->reorder(s, oob, 1, &err) == SF_ERR_INVALID);
  step->end(s);
  mod.model->destroy(object);
}
