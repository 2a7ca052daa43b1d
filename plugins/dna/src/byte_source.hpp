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

/// Wraps `inner` so that it is read ahead on a background thread into `depth` buffers of `chunk` bytes.
std::unique_ptr<ByteSource> prefetch(std::unique_ptr<ByteSource> inner, size_t chunk = 1 << 20,
                                     size_t depth = 4);

}  // namespace seqflow::dna
