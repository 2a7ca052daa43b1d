// seqflow_badmajor: a module that claims plugin ABI major 2, as a plugin built by a future SDK would.
//
// Only the prefix every major shares (magic, major, minor) is meaningful; the rest of the struct is
// left zero (no name, no components, no init), because an ABI 2 layout is unknown to this host. The
// host must refuse the module from that prefix alone, naming the file, without reading further.
#include <seqflow/plugin_abi.h>

namespace {
constexpr uint32_t kFutureMajor = 2;

const sf_module kModule = [] {
  sf_module m{};
  m.magic = SF_ABI_MAGIC;
  m.abi_major = kFutureMajor;
  m.abi_minor = 0;
  return m;
}();
}  // namespace

extern "C" __attribute__((visibility("default"))) const sf_module* seqflow_plugin_entry(uint32_t, uint32_t) {
  return &kModule;
}
