// .npy files (NumPy's array format): header parsing and writing, data conversion to C order.
//
// Reading accepts format versions 1.0, 2.0 and 3.0, dtypes <f4 <f2 <i4 <i8 |u1 |i1 |b1 in either
// byte order ('|b1' is read as u8), rank 0 to 8, C or Fortran order (Fortran is transposed into C
// order). Writing produces exactly the bytes np.save writes for a C-order array (format 1.0, header
// padded to 64 bytes, numpy's spare space for growing the first axis included).
// Threading: pure functions and one-thread-at-a-time objects.
// Errors: seqflow::Error whose message gives the byte offset ("at byte 8: ..."); NpyFileReader adds
// the file path in front.
#pragma once

#include <seqflow/plugin_abi.h>

#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace seqflow::io {

struct NpyHeader {
  sf_dtype dtype = SF_DTYPE_F32;  // the dtype the array is read as
  std::string descr;              // as the file writes it: "<f4"
  bool fortran_order = false;
  std::vector<int64_t> shape;
  size_t item_size = 0;
  bool swap_bytes = false;   // stored in the byte order opposite to this machine's
  uint64_t data_offset = 0;  // first byte of the array data
  uint64_t numel = 1;
  uint64_t data_bytes() const { return numel * item_size; }
};

/// Length of the whole header (preamble and dictionary) from the first bytes of a file (12 are
/// enough; give fewer only when the file is that short). Throws for bad magic, an unsupported
/// version or a preamble that is cut short.
uint64_t npy_header_length(std::string_view head);
/// Parses a header; `bytes` holds at least npy_header_length(bytes) bytes.
NpyHeader parse_npy_header(std::string_view bytes);
/// Python's repr of a shape tuple: "()", "(3,)", "(2, 3)".
std::string shape_repr(std::span<const int64_t> shape);
/// The header np.save writes for a C-order array of `dtype` (every dtype but bf16, which numpy lacks).
std::string make_npy_header(sf_dtype dtype, std::span<const int64_t> shape);
/// Raw file data -> native byte order and C order in `dst` (header.data_bytes() bytes each). `src` may
/// equal `dst` unless the array is in Fortran order.
void npy_to_c_order(const NpyHeader& header, void* src, void* dst);

/// Reads one .npy file: the constructor reads and checks the header against the file size, read_data
/// fills the caller's buffer. Memory: the data once (twice for Fortran order during the transpose).
class NpyFileReader {
 public:
  explicit NpyFileReader(std::string path);
  ~NpyFileReader();
  NpyFileReader(const NpyFileReader&) = delete;
  NpyFileReader& operator=(const NpyFileReader&) = delete;

  const NpyHeader& header() const { return header_; }
  /// Reads the array into `dst` (header().data_bytes() bytes), native byte order, C order.
  void read_data(void* dst);

 private:
  std::string path_;
  std::FILE* file_ = nullptr;
  NpyHeader header_;
};

}  // namespace seqflow::io
