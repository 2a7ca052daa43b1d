// Safetensors weight files (the format of `safetensors.torch.save_file(model.state_dict(), path)`).
//
// What it is: a reader that memory-maps a file, parses its JSON header and checks every entry against
// the file before anything reads a byte of tensor data: header length within the file and at most
// 100 MB, a JSON object whose entries have a known dtype, a shape of non-negative dims whose byte
// size does not overflow, and data_offsets [begin, end) inside the data section, of exactly
// numel * item size bytes, not overlapping another entry. `__metadata__` (string -> string) is kept.
// Tensor data is read as f32 (F32, F16, BF16 and F64 convert; integer and bool dtypes are listed but
// refused as weights).
//
// Lifecycle: open() or from_bytes() parses and validates once; the object then owns the mapping and
// is immutable. Entries point into the mapping and live as long as the object.
// Threading: all const methods may be called concurrently.
// Errors: WeightsError whose message starts with the file name (or the label given to from_bytes)
// and says what is wrong with which entry, e.g.
//   "m.safetensors: tensor 'rnn.weight_ih_l0': data_offsets [0, 4096) end past the data section (1024
//   bytes)".
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace seqflow::onednn {

/// A weights file or model definition problem; the message is complete and user-facing.
class WeightsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Every dtype of the format with a whole number of bytes, so that a file holding, say, an F8 buffer
// beside its weights opens; to_f32() reads the float ones the layers use.
enum class StDtype {
  kF64,
  kF32,
  kF16,
  kBF16,
  kI64,
  kI32,
  kI16,
  kI8,
  kU64,
  kU32,
  kU16,
  kU8,
  kBool,
  kF8E5M2,
  kF8E4M3,
  kF8E8M0
};

/// "F32" for kF32 and so on, as the file spells it.
const char* st_dtype_name(StDtype d);
size_t st_dtype_size(StDtype d);

struct StTensor {
  std::string name;
  StDtype dtype = StDtype::kF32;
  std::vector<int64_t> shape;
  const std::byte* data = nullptr;  // may be unaligned
  size_t nbytes = 0;
  int64_t numel() const;
};

/// "[4, 80]"
std::string shape_str(const std::vector<int64_t>& shape);

class SafetensorsFile {
 public:
  /// Maps and validates `path`.
  static std::shared_ptr<const SafetensorsFile> open(const std::string& path);
  /// Validates an in-memory copy of a file; `label` replaces the file name in messages.
  static std::shared_ptr<const SafetensorsFile> from_bytes(std::string bytes, const std::string& label);

  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::string& label() const { return label_; }
  /// nullptr when absent.
  const StTensor* find(std::string_view name) const;
  const std::vector<StTensor>& tensors() const { return tensors_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  /// The tensor's values as f32, in row-major order. Throws for integer and bool dtypes.
  std::vector<float> to_f32(const StTensor& t) const;

 private:
  SafetensorsFile() = default;
  void parse();

  std::string label_;
  std::string owned_;    // from_bytes
  void* map_ = nullptr;  // open
  size_t map_size_ = 0;
  const std::byte* base_ = nullptr;
  size_t size_ = 0;
  std::vector<StTensor> tensors_;  // sorted by name
  std::map<std::string, std::string> metadata_;
};

}  // namespace seqflow::onednn
