// ByteSource: the uncompressed bytes of one input file, plain, gzip (any number of members) or BGZF.
//
// What it is: open_input() sniffs the first bytes of a file (never its name) and returns a source that
// yields the decompressed stream in caller-sized chunks. gzip members are inflated with ISA-L (igzip,
// streaming, 2.5-3x zlib's speed); BGZF blocks, which are independent gzip members of at most 64 KiB, are
// decompressed whole with libdeflate (about twice zlib's speed) and CRC-checked.
// Lifecycle: open_input() -> read()* until it returns 0 -> destroy. Not restartable.
// Threading: one thread at a time. PrefetchSource runs another source on its own thread so that
// decompression overlaps parsing.
// Ownership: read() copies into the caller's buffer; the source owns its file and codec state.
// Errors: InputError (what went wrong, with the byte offset where it matters) on a missing or unreadable
// file, corrupt or truncated compressed data; the caller adds the record/line context.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace seqflow::dna {

class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class Compression { kNone, kGzip, kBgzf };

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  /// Fills up to `capacity` bytes; returns how many, 0 only at the end of the stream.
  virtual size_t read(char* out, size_t capacity) = 0;
};

/// Opens `path` and detects its compression from the magic bytes. Throws InputError.
std::unique_ptr<ByteSource> open_input(const std::string& path, Compression* detected = nullptr);

/// A position in a file's decoded stream that a reader can start or stop at: for a plain file `block` is
/// the byte offset and `within` 0; for BGZF `block` is the compressed offset of a block and `within` an
/// offset in its decompressed data. {file size, 0} is the end of the file.
struct VirtualOffset {
  uint64_t block = 0;
  uint64_t within = 0;
  bool operator==(const VirtualOffset&) const = default;
};

/// Where each decoded BGZF block starts: (offset in the decoded range, compressed offset of the block).
using BlockMap = std::vector<std::pair<uint64_t, uint64_t>>;

/// The compression of `path`, from its magic bytes. Throws InputError.
Compression sniff_compression(const std::string& path);

/// The decoded bytes of a plain or BGZF file from `begin` (inclusive) to `end` (exclusive). When
/// `blocks` is given, each BGZF block decoded is appended to it. Throws InputError; gzip that is not
/// BGZF cannot be read from the middle and is refused.
std::unique_ptr<ByteSource> open_input_range(const std::string& path, Compression kind, VirtualOffset begin,
                                             VirtualOffset end, BlockMap* blocks = nullptr);

/// The compressed offset of the first BGZF block that starts at or after `offset` (the file's size when
/// none does). A block is recognised by its header and confirmed by the header (or end) that its size
/// leads to.
uint64_t next_bgzf_block(const std::string& path, uint64_t offset);

/// Wraps `inner` so that it is read ahead on a background thread into `depth` buffers of `chunk` bytes.
std::unique_ptr<ByteSource> prefetch(std::unique_ptr<ByteSource> inner, size_t chunk = 1 << 20,
                                     size_t depth = 4);

}  // namespace seqflow::dna
