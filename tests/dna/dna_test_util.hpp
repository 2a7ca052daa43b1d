// Helpers for the dna module's tests: in-memory inputs, temporary folders, whole-file reads, CRC-32,
// and the location of the shared real data (tests that need it skip with a WARN when it is absent).
#pragma once

#include "byte_source.hpp"
#include "fastx_reader.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace dna_test {

/// Serves a string in chunks of at most `chunk` bytes, to exercise every buffer boundary.
class StringSource : public seqflow::dna::ByteSource {
 public:
  StringSource(std::string data, size_t chunk) : data_(std::move(data)), chunk_(chunk) {}
  size_t read(char* out, size_t capacity) override {
    size_t n = std::min({capacity, chunk_, data_.size() - pos_});
    std::memcpy(out, data_.data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  std::string data_;
  size_t chunk_;
  size_t pos_ = 0;
};

struct Rec {
  std::string id, description, seq, qual;
};

/// Parses `text` completely; throws what the reader throws.
inline std::vector<Rec> parse(const std::string& text, seqflow::dna::Format format, size_t chunk = 1 << 20,
                              seqflow::dna::ReaderOptions options = {}) {
  seqflow::dna::FastxReader reader(std::make_unique<StringSource>(text, chunk), "mem", format, options);
  std::vector<Rec> out;
  seqflow::dna::FastxRecord r;
  while (reader.next(r)) {
    out.push_back(
        Rec{std::string(r.id), std::string(r.description), std::string(r.seq), std::string(r.qual)});
  }
  return out;
}

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// Decompresses a gzip file with zlib's gzread (independent of the module's own reader).
inline std::string gunzip_file(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  std::string out;
  if (f == nullptr) return out;
  char buf[1 << 16];
  int n = 0;
  while ((n = gzread(f, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  gzclose(f);
  return out;
}

inline void spit(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

/// Writes `data` gzip-compressed (zlib's gzwrite: one ordinary gzip member, not BGZF).
inline void spit_gzip(const std::string& path, const std::string& data) {
  gzFile f = gzopen(path.c_str(), "wb6");
  gzwrite(f, data.data(), static_cast<unsigned>(data.size()));
  gzclose(f);
}

inline uint32_t crc32_of(const std::string& data) {
  return static_cast<uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
}

/// A fresh empty folder under the system temporary folder, removed with the object.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "seqflow_dna_test_XXXXXX").string();
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    path_ = ::mkdtemp(buf.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

/// Folder of the shared real DNA data, or "" when it is absent.
inline std::string shared_dna() {
  const std::string dir = std::string(SEQFLOW_SHARED_DATA) + "/dna";
  return std::filesystem::exists(dir + "/PROVENANCE.md") ? dir : std::string();
}

}  // namespace dna_test

/// Skips the current test with a warning when ../shared/data/dna is absent.
#define DNA_REQUIRE_SHARED_DATA(dir)                                                                  \
  const std::string dir = dna_test::shared_dna();                                                     \
  if (dir.empty()) {                                                                                  \
    WARN("skipped: shared data " << SEQFLOW_SHARED_DATA << "/dna is absent (see its PROVENANCE.md)"); \
    return;                                                                                           \
  }
