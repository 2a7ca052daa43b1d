// Helpers for the audio tests: raw float32 fixture files, Kaldi text matrices, temporary folders and the
// shared-data skip.
#pragma once

#include <catch2/catch.hpp>

#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace audio_test {

inline std::string shared_audio() { return std::string(SEQFLOW_SHARED_DATA) + "/audio"; }

#define AUDIO_REQUIRE_SHARED_DATA(dir)                                                            \
  const std::string dir = audio_test::shared_audio();                                             \
  if (!std::filesystem::exists(dir)) {                                                            \
    WARN("skipped: " << dir << " is absent (the shared real recordings; see its PROVENANCE.md)"); \
    return;                                                                                       \
  }

inline std::vector<float> read_f32(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  in.seekg(0, std::ios::end);
  const auto size = static_cast<size_t>(in.tellg());
  in.seekg(0);
  std::vector<float> v(size / 4);
  in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(size));
  return v;
}

/// The rows of the first matrix of a Kaldi text archive ("key  [\n  a b c\n  d e f ]").
inline std::vector<std::vector<double>> read_kaldi_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  const size_t open = text.find('[');
  const size_t close = text.find(']');
  REQUIRE(open != std::string::npos);
  REQUIRE(close != std::string::npos);
  std::stringstream body(text.substr(open + 1, close - open - 1));
  std::vector<std::vector<double>> rows;
  std::string line;
  while (std::getline(body, line)) {
    std::stringstream ls(line);
    std::vector<double> row;
    double v = 0;
    while (ls >> v) row.push_back(v);
    if (!row.empty()) rows.push_back(row);
  }
  return rows;
}

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::temp_directory_path() /
           ("seqflow_audio_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter()++));
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
  static int& counter() {
    static int c = 0;
    return c;
  }
};

inline std::string slurp_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void spit(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary);
  out << data;
}

}  // namespace audio_test
