// Fuzz target: the plugin loader's ELF checks (elf_check.hpp) on mutated plugin files.
//
// A real plugin built by this tree (the spectest test plugin) is read once; each input patches it and
// cuts it short: four bytes give the length to keep (0: all), then records of a two-byte offset into
// the first 64 KiB, a length byte and that many bytes overwrite the image (headers and program
// headers live there). The patched image goes through elf_head_bytes and elf_problem exactly as
// PluginHost reads a file. Checked property: an image the checks accept has its program headers and
// every loadable segment inside the file, recomputed here independently. The mutated image is not
// handed to dlopen: glibc's loader trusts files past their headers, and a plugin's code runs in the
// host by design, so a crash there is not one this check could prevent (README.md).
#include "elf_check.hpp"
#include "fuzz_util.hpp"

#include <elf.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string original = [] {
    std::ifstream in(SEQFLOW_FUZZ_PLUGIN_FILE, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.size() < 4096) __builtin_trap();  // the reference plugin is missing
    return bytes;
  }();
  seqflow::fuzz::Cursor in(data, size);
  uint32_t keep = 0;
  for (int i = 0; i < 4; ++i) keep |= uint32_t{in.byte()} << (8 * i);
  std::string image = original;
  if (keep != 0 && keep < image.size()) image.resize(keep);
  while (!in.rest().empty()) {
    size_t at = in.byte() | size_t{in.byte()} << 8;
    size_t n = in.byte();
    for (size_t i = 0; i < n && !in.rest().empty(); ++i) {
      uint8_t b = in.byte();
      if (at + i < image.size()) image[at + i] = static_cast<char>(b);
    }
  }
  using namespace seqflow::engine;
  std::string_view head(image);
  head = head.substr(0, std::min<uint64_t>(elf_head_bytes(head.substr(0, 64)), image.size()));
  if (!elf_problem(head, image.size()).empty()) return 0;
  Elf64_Ehdr eh;
  std::memcpy(&eh, image.data(), sizeof eh);
  if (eh.e_phoff + uint64_t{eh.e_phnum} * sizeof(Elf64_Phdr) > image.size()) __builtin_trap();
  for (uint16_t i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    std::memcpy(&ph, image.data() + eh.e_phoff + uint64_t{i} * sizeof ph, sizeof ph);
    if (ph.p_type == PT_LOAD && (ph.p_offset > image.size() || ph.p_filesz > image.size() - ph.p_offset))
      __builtin_trap();
  }
  return 0;
}
