// Fuzz target: pipeline files through the engine's loader and validation (seqflow validate's first
// half), with --set overrides.
//
// The input is a pipeline file, optionally followed by a line "#--set" and one "stage.key=value"
// override per line (a TOML comment, so seeds stay valid TOML). The file is loaded with
// Pipeline::load, which parses it, applies the overrides, loads the plugins it names (the io and dna
// modules and the test-only spectest plugin of tests/engine, whose parameters cover every type:
// tables, arrays of tables such as model `layers`, choices, paths) and validates everything; a pipeline
// that loads is then drawn as DOT and Mermaid. Checked properties: an invalid pipeline is a SpecError
// whose position names the file (or "--set"), or a PluginError; nothing else escapes.
#include "fuzz_util.hpp"
#include "pipeline_spec.hpp"
#include "plugin_host.hpp"

#include <seqflow/engine.hpp>

#include <cstdlib>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool configured = [] {
    setenv("SEQFLOW_PLUGIN_PATH", SEQFLOW_FUZZ_PLUGIN_PATH, 1);
    return true;
  }();
  (void)configured;
  seqflow::fuzz::Cursor in(data, size);
  const std::string path = seqflow::fuzz::write_file("pipeline.toml", in.part("\n#--set\n"));
  std::vector<std::string> overrides;
  while (!in.rest().empty()) overrides.emplace_back(in.part("\n"));
  try {
    seqflow::Pipeline p = seqflow::Pipeline::load(path, overrides);
    (void)p.graph("dot");
    (void)p.graph("mermaid");
  } catch (const seqflow::engine::SpecError& e) {
    if (e.pos().file != path && e.pos().file != "--set") __builtin_trap();
  } catch (const seqflow::engine::PluginError&) {
  }
  return 0;
}
