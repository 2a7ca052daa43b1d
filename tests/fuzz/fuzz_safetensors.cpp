// Fuzz target: safetensors weight files (onednn.model's `weights`): the header, the entries' dtypes,
// shapes and data_offsets, and reading the data.
//
// The input is the file, parsed from memory (from_bytes) with the same checks as a mapped file. A file
// that is accepted is read like a model reads it: every float tensor converted to f32. Checked
// properties: a bad file is a WeightsError naming the file; an accepted tensor's byte size is its
// element count times its dtype's size, and converting it gives one float per element.
#include "fuzz_util.hpp"
#include "onednn/safetensors.hpp"

#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace seqflow::onednn;
  const std::string label = "fuzz.safetensors";
  try {
    auto file = SafetensorsFile::from_bytes(std::string(reinterpret_cast<const char*>(data), size), label);
    for (const StTensor& t : file->tensors()) {
      if (t.nbytes != static_cast<size_t>(t.numel()) * st_dtype_size(t.dtype)) __builtin_trap();
      if (file->find(t.name) != &t) __builtin_trap();
      switch (t.dtype) {
        case StDtype::kF32:
        case StDtype::kF16:
        case StDtype::kBF16:
        case StDtype::kF64:
          if (file->to_f32(t).size() != static_cast<size_t>(t.numel())) __builtin_trap();
          break;
        default:
          break;
      }
    }
  } catch (const WeightsError& e) {
    if (std::string_view(e.what()).find(label) == std::string_view::npos) __builtin_trap();
  }
  return 0;
}
