// Fuzz target: .npy headers and data (io.npy_read).
//
// The input is a whole .npy file. In memory: npy_header_length and parse_npy_header on its bytes, then
// npy_to_c_order on the data that follows when the file holds all of it. From disk: NpyFileReader,
// which must refuse any header whose data the file does not hold, then read_data. Every refusal is a
// seqflow::Error; the file reader's names the file.
#include "fuzz_util.hpp"
#include "io/npy.hpp"

#include <seqflow/sdk.hpp>

#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace seqflow::io;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    uint64_t length = npy_header_length(bytes);
    if (length <= bytes.size()) {
      NpyHeader h = parse_npy_header(bytes);
      if (h.data_offset <= bytes.size() && h.data_bytes() <= bytes.size() - h.data_offset) {
        std::vector<char> src(bytes.begin() + static_cast<std::ptrdiff_t>(h.data_offset),
                              bytes.begin() + static_cast<std::ptrdiff_t>(h.data_offset + h.data_bytes()));
        std::vector<char> dst(src.size());
        npy_to_c_order(h, src.data(), dst.data());
      }
    }
  } catch (const seqflow::Error&) {
  }
  const std::string path = seqflow::fuzz::write_file("input.npy", bytes);
  try {
    NpyFileReader reader(path);
    const NpyHeader& h = reader.header();
    if (h.data_offset + h.data_bytes() > size) __builtin_trap();  // accepted data the file lacks
    std::vector<char> dst(h.data_bytes());
    reader.read_data(dst.data());
  } catch (const seqflow::Error& e) {
    if (std::string_view(e.what()).find(path) == std::string_view::npos) __builtin_trap();
  }
  return 0;
}
