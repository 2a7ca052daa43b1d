#include "fastx_writer.hpp"

#include <libdeflate.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>

namespace seqflow::dna {
namespace {

constexpr size_t kFlushBytes = size_t{1} << 20;
constexpr size_t kBgzfInput = 0xff00;  // htslib's block payload: the compressed block always fits 64 KiB
constexpr size_t kBgzfMax = 65536;

// The empty block that ends every BGZF file (SAM/BAM specification, section 4.1.2).
constexpr unsigned char kBgzfEof[28] = {0x1f, 0x8b, 8,    4, 0, 0, 0, 0, 0, 0xff, 6, 0, 0x42, 0x43,
                                        2,    0,    0x1b, 0, 3, 0, 0, 0, 0, 0,    0, 0, 0,    0};

void put32(unsigned char* p, uint32_t v) {
  p[0] = static_cast<unsigned char>(v);
  p[1] = static_cast<unsigned char>(v >> 8);
  p[2] = static_cast<unsigned char>(v >> 16);
  p[3] = static_cast<unsigned char>(v >> 24);
}

}  // namespace

bool has_gzip_extension(std::string_view path) {
  for (std::string_view ext : {".gz", ".bgz", ".bgzf"}) {
    if (path.size() > ext.size() && path.substr(path.size() - ext.size()) == ext) return true;
  }
  return false;
}

namespace {

// AtomicFile replaces its target by renaming a temporary onto it: right for files, wrong for /dev/null, a
// FIFO or a terminal, which it would replace with a regular file.
const std::string& regular_target(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
    throw Error("cannot write '" + path +
                    "': it exists and is not a regular file (a device or pipe); a writer replaces its target "
                    "by renaming a finished file onto it. To drop records use io.discard",
                SF_ERR_IO);
  }
  return path;
}

}  // namespace

FastxWriter::FastxWriter(const std::string& path, Format format, WriterOptions options)
    : format_(format), opt_(options), file_(regular_target(path)) {
  if (opt_.gzip) {
    if (opt_.level < 1 || opt_.level > 12) {
      throw Error("compression level " + std::to_string(opt_.level) +
                  " is out of range; use 1 (fastest) to 12");
    }
    compressor_ = libdeflate_alloc_compressor(opt_.level);
    if (compressor_ == nullptr) throw Error("libdeflate: cannot allocate a compressor", SF_ERR_INTERNAL);
    block_.resize(kBgzfMax);
  }
  tail(kFlushBytes * 2);
}

FastxWriter::~FastxWriter() {
  if (compressor_ != nullptr) libdeflate_free_compressor(compressor_);
}

void FastxWriter::write(std::string_view id, std::string_view description, std::string_view seq,
                        std::string_view qual) {
  const bool fastq = format_ == Format::kFastq;
  if (fastq) {
    if (qual.size() != seq.size()) {
      throw Error("record '" + std::string(id) + "': the quality has " + std::to_string(qual.size()) +
                  " characters but the sequence has " + std::to_string(seq.size()) +
                  " bases; FASTQ needs one quality character per base");
    }
    const uint8_t hi = opt_.quality_offset == 64 ? '~' - 31 : '~';
    uint8_t bad = 0;
    for (char c : qual) bad |= static_cast<uint8_t>(static_cast<uint8_t>(c) - '!') > hi - '!';
    if (bad != 0) {
      throw Error("record '" + std::string(id) + "': the quality holds characters outside Phred+33 '!'..'" +
                  std::string(1, static_cast<char>(hi)) + "'" +
                  (opt_.quality_offset == 64 ? " (Phred+64 output tops out at Q62)" : ""));
    }
  }
  // One size computation, then plain copies into the output buffer: no per-piece capacity checks.
  const size_t width = fastq ? 0 : opt_.line_width;
  const size_t header = id.size() + (description.empty() ? 0 : 1 + description.size());
  const size_t seq_lines = width == 0 ? 1 : (seq.size() + width - 1) / width;
  const size_t total = 2 + header + seq.size() + (width == 0 ? 1 : seq_lines) +
                       (fastq ? 3 + (opt_.repeat_name ? header : 0) + qual.size() : 0);
  char* p = tail(total);
  const auto put = [&p](std::string_view v) {
    std::memcpy(p, v.data(), v.size());
    p += v.size();
  };
  const auto put_header = [&] {
    put(id);
    if (!description.empty()) {
      *p++ = ' ';
      put(description);
    }
  };
  *p++ = fastq ? '@' : '>';
  put_header();
  *p++ = '\n';
  if (width == 0) {
    put(seq);
    *p++ = '\n';
  } else {
    for (size_t at = 0; at < seq.size(); at += width) {
      put(seq.substr(at, width));
      *p++ = '\n';
    }
  }
  if (fastq) {
    *p++ = '+';
    if (opt_.repeat_name) put_header();
    *p++ = '\n';
    char* q = p;
    put(qual);
    if (opt_.quality_offset == 64) {
      for (; q < p; ++q) *q = static_cast<char>(*q + 31);
    }
    *p++ = '\n';
  }
  used_ = static_cast<size_t>(p - buf_.get());
  if (used_ >= kFlushBytes) flush(false);
}

char* FastxWriter::tail(size_t n) {
  if (capacity_ - used_ < n) {
    const size_t grown = std::max(capacity_ * 2, used_ + n);
    auto bigger = std::make_unique_for_overwrite<char[]>(grown);
    if (used_ > 0) std::memcpy(bigger.get(), buf_.get(), used_);
    buf_ = std::move(bigger);
    capacity_ = grown;
  }
  return buf_.get() + used_;
}

void FastxWriter::write_block(const char* data, size_t n) {
  auto* out = reinterpret_cast<unsigned char*>(block_.data());
  size_t csize = libdeflate_deflate_compress(compressor_, data, n, out + 18, kBgzfMax - 26);
  if (csize == 0) {
    // Cannot happen for kBgzfInput bytes (deflate's stored blocks fit), but stay correct if it does.
    write_block(data, n / 2);
    write_block(data + n / 2, n - n / 2);
    return;
  }
  const size_t bsize = csize + 26;
  const unsigned char header[18] = {0x1f,
                                    0x8b,
                                    8,
                                    4,
                                    0,
                                    0,
                                    0,
                                    0,
                                    0,
                                    0xff,
                                    6,
                                    0,
                                    'B',
                                    'C',
                                    2,
                                    0,
                                    static_cast<unsigned char>((bsize - 1) & 0xff),
                                    static_cast<unsigned char>((bsize - 1) >> 8)};
  std::memcpy(out, header, sizeof(header));
  put32(out + 18 + csize, libdeflate_crc32(0, data, n));
  put32(out + 22 + csize, static_cast<uint32_t>(n));
  file_.write(out, bsize);
}

void FastxWriter::flush(bool all) {
  if (!opt_.gzip) {
    file_.write(buf_.get(), used_);
    used_ = 0;
    return;
  }
  size_t p = 0;
  while (used_ - p >= kBgzfInput || (all && p < used_)) {
    const size_t n = std::min(kBgzfInput, used_ - p);
    write_block(buf_.get() + p, n);
    p += n;
  }
  std::memmove(buf_.get(), buf_.get() + p, used_ - p);
  used_ -= p;
}

void FastxWriter::commit() {
  flush(true);
  if (opt_.gzip) file_.write(kBgzfEof, sizeof(kBgzfEof));
  file_.commit();
}

}  // namespace seqflow::dna
