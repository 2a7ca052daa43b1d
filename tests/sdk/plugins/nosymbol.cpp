// seqflow_nosymbol: a shared library named like a plugin that does not export `seqflow_plugin_entry`
// (here the entry is misspelled, a plausible mistake). Loading it must fail with a message that names
// the file and the missing symbol.
#include <seqflow/plugin_abi.h>

extern "C" __attribute__((visibility("default"))) const sf_module* seqflow_plugin_main(uint32_t, uint32_t) {
  return nullptr;
}
