// ELF checks run on a plugin file before it is handed to the dynamic loader.
//
// What it is: glibc's dlopen trusts the file's headers: a plugin cut short (an interrupted copy, a full
// disk) maps segments past the end of the file and the host dies of SIGBUS when the loader touches
// them; a file for another CPU or word size gets a cryptic message. elf_problem() reads the ELF header
// and program headers and says, in words, what makes the file unloadable: too short, not 64-bit
// little-endian, not a shared library, another machine, header tables or loadable segments outside the
// file, no dynamic section. It cannot prove a file sound (a damaged dynamic section or code past the
// headers still reaches the loader), only rule out the damage that headers show.
// Threading: pure functions. Errors: a non-empty string (empty: nothing wrong found).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace seqflow::engine {

/// How many bytes from the start of a file elf_problem() needs: the ELF header and the program headers
/// it points to (at most kMaxElfHeadBytes). `head` holds the first bytes read so far (at least 64 when
/// the file has them).
uint64_t elf_head_bytes(std::string_view head);
constexpr uint64_t kMaxElfHeadBytes = uint64_t{1} << 20;

/// What makes a file of `file_size` bytes, starting with `head` (elf_head_bytes(head) bytes, or the
/// whole file when shorter), unloadable as a plugin on this machine; "" when the headers are sound.
std::string elf_problem(std::string_view head, uint64_t file_size);

}  // namespace seqflow::engine
