// Helpers shared by the libFuzzer targets of tests/fuzz (see README.md there).
//
// What it is: a per-process scratch folder for parsers that read files, and a cursor that splits one
// fuzz input into option bytes and parts, so that a single input chooses how a parser is driven.
// Lifecycle: the scratch folder is made on first use and removed when the process exits.
// Threading: the fuzz targets run one input at a time; nothing here is thread-safe.
// Ownership: plain values. Errors: a failure to make or write the scratch folder aborts, since the
// target cannot test anything without it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

namespace seqflow::fuzz {

inline const std::string& scratch_dir() {
  static const std::string dir = [] {
    std::string pattern = (std::filesystem::temp_directory_path() / "seqflow-fuzz-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      std::perror("seqflow fuzz: mkdtemp");
      std::abort();
    }
    static const std::string removed = pattern;
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(removed, ec);
    });
    return pattern;
  }();
  return dir;
}

/// Writes `data` to `name` in the scratch folder (replacing it) and returns the path.
inline std::string write_file(const std::string& name, std::string_view data) {
  std::string path = scratch_dir() + "/" + name;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr || std::fwrite(data.data(), 1, data.size(), f) != data.size() || std::fclose(f) != 0) {
    std::perror(("seqflow fuzz: writing " + path).c_str());
    std::abort();
  }
  return path;
}

/// Reads a fuzz input front to back: option bytes first, then parts separated by a marker.
class Cursor {
 public:
  Cursor(const uint8_t* data, size_t size) : rest_(reinterpret_cast<const char*>(data), size) {}

  /// The next byte, or 0 once the input is used up.
  uint8_t byte() {
    if (rest_.empty()) return 0;
    auto b = static_cast<uint8_t>(rest_.front());
    rest_.remove_prefix(1);
    return b;
  }
  /// Everything up to the next `marker` (which is consumed), or the whole rest when there is none.
  std::string_view part(std::string_view marker) {
    size_t at = rest_.find(marker);
    std::string_view out = rest_.substr(0, at);
    rest_.remove_prefix(at == std::string_view::npos ? rest_.size() : at + marker.size());
    return out;
  }
  std::string_view rest() const { return rest_; }

 private:
  std::string_view rest_;
};

}  // namespace seqflow::fuzz
