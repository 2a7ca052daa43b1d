#include "elf_check.hpp"

#include <elf.h>

#include <cstring>

namespace seqflow::engine {

namespace {

#if defined(__x86_64__)
constexpr uint16_t kMachine = EM_X86_64;
#elif defined(__aarch64__)
constexpr uint16_t kMachine = EM_AARCH64;
#else
#error "elf_check.cpp: add this machine's ELF e_machine"
#endif

// [offset, offset + count * size) lies inside a file of `file_size` bytes, without overflow.
bool inside(uint64_t offset, uint64_t count, uint64_t size, uint64_t file_size) {
  if (offset > file_size) return false;
  if (size != 0 && count > (file_size - offset) / size) return false;
  return true;
}

}  // namespace

uint64_t elf_head_bytes(std::string_view head) {
  Elf64_Ehdr eh;
  if (head.size() < sizeof eh) return sizeof eh;
  std::memcpy(&eh, head.data(), sizeof eh);
  if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phoff > kMaxElfHeadBytes) return sizeof eh;
  const uint64_t end = eh.e_phoff + uint64_t{eh.e_phnum} * sizeof(Elf64_Phdr);
  return end > kMaxElfHeadBytes ? kMaxElfHeadBytes : (end < sizeof eh ? sizeof eh : end);
}

std::string elf_problem(std::string_view head, uint64_t file_size) {
  Elf64_Ehdr eh;
  if (file_size < 4 || std::memcmp(head.data(), ELFMAG, SELFMAG) != 0) return "no ELF header";
  if (file_size < sizeof eh || head.size() < sizeof eh)
    return "the file ends inside its ELF header (" + std::to_string(file_size) + " bytes): it is cut short";
  std::memcpy(&eh, head.data(), sizeof eh);
  if (eh.e_ident[EI_CLASS] != ELFCLASS64) return "it is not a 64-bit library";
  if (eh.e_ident[EI_DATA] != ELFDATA2LSB) return "it is not a little-endian library";
  if (eh.e_ident[EI_VERSION] != EV_CURRENT || eh.e_version != EV_CURRENT) return "its ELF version is unknown";
  if (eh.e_type != ET_DYN)
    return "it is an ELF file but not a shared library (ELF type " + std::to_string(eh.e_type) + ")";
  if (eh.e_machine != kMachine)
    return "it was built for another CPU (ELF machine " + std::to_string(eh.e_machine) + ", this one is " +
           std::to_string(kMachine) + ")";
  if (eh.e_ehsize != sizeof eh || eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 ||
      eh.e_phnum == PN_XNUM)
    return "its ELF header is damaged (header or program header sizes)";
  if (!inside(eh.e_phoff, eh.e_phnum, sizeof(Elf64_Phdr), file_size))
    return "its program headers lie past the end of the file (" + std::to_string(file_size) +
           " bytes): it is cut short";
  const bool sections_inside = inside(eh.e_shoff, eh.e_shnum, sizeof(Elf64_Shdr), file_size);
  if (eh.e_shoff != 0 && (eh.e_shentsize != sizeof(Elf64_Shdr) || !sections_inside))
    return "its section headers lie past the end of the file (" + std::to_string(file_size) +
           " bytes): it is cut short";
  if (!inside(eh.e_phoff, eh.e_phnum, sizeof(Elf64_Phdr), head.size()))
    return "its program headers are too far into the file to check";
  bool dynamic = false;
  for (uint16_t i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    std::memcpy(&ph, head.data() + eh.e_phoff + uint64_t{i} * sizeof ph, sizeof ph);
    if (ph.p_type != PT_LOAD && ph.p_type != PT_DYNAMIC) continue;
    if (!inside(ph.p_offset, 1, ph.p_filesz, file_size))
      return "segment " + std::to_string(i) + " (bytes " + std::to_string(ph.p_offset) + " to " +
             std::to_string(ph.p_offset + ph.p_filesz) + ") lies past the end of the file (" +
             std::to_string(file_size) + " bytes): it is cut short";
    if (ph.p_type == PT_LOAD && ph.p_filesz > ph.p_memsz)
      return "segment " + std::to_string(i) + " is damaged (more bytes in the file than in memory)";
    dynamic = dynamic || ph.p_type == PT_DYNAMIC;
  }
  if (!dynamic) return "it has no dynamic section (a static executable?)";
  return "";
}

}  // namespace seqflow::engine
