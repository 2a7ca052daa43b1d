#include "merge_codec.hpp"

#include <libdeflate.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <vector>

namespace seqflow::engine {
namespace {

constexpr size_t kChunk = size_t{1} << 18;
constexpr size_t kBgzfInput = 0xff00;  // dna's writers: the payload of every BGZF block but the last
constexpr size_t kBgzfMax = 65536;
constexpr unsigned char kBgzfEof[28] = {0x1f, 0x8b, 8,    4, 0, 0, 0, 0, 0, 0xff, 6, 0, 0x42, 0x43,
                                        2,    0,    0x1b, 0, 3, 0, 0, 0, 0, 0,    0, 0, 0,    0};

void put32(unsigned char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}

}  // namespace

Encoding sniff_encoding(const std::string& path) {
  unsigned char m[16] = {0};
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open '" + path + "'");
  in.read(reinterpret_cast<char*>(m), sizeof(m));
  if (in.gcount() < 2 || m[0] != 0x1f || m[1] != 0x8b) return Encoding::kPlain;
  const bool bc = in.gcount() >= 16 && (m[3] & 4) != 0 && m[12] == 'B' && m[13] == 'C';
  return bc ? Encoding::kBgzf : Encoding::kGzip;
}

struct ShardDecoder::Impl {
  std::string path;
  std::FILE* f = nullptr;
  bool gzip = false;
  z_stream zs{};
  std::vector<unsigned char> in = std::vector<unsigned char>(kChunk);
  bool done = false;
  std::string pending;  // decoded bytes not yet handed out by line()
  size_t pending_at = 0;
};

ShardDecoder::ShardDecoder(const std::string& path) : impl_(std::make_unique<Impl>()) {
  impl_->path = path;
  impl_->gzip = sniff_encoding(path) != Encoding::kPlain;
  impl_->f = std::fopen(path.c_str(), "rb");
  if (impl_->f == nullptr) throw std::runtime_error("cannot open '" + path + "': " + std::strerror(errno));
  if (impl_->gzip && inflateInit2(&impl_->zs, 16 + MAX_WBITS) != Z_OK)
    throw std::runtime_error("zlib cannot start inflating '" + path + "'");
}

ShardDecoder::~ShardDecoder() {
  if (impl_->gzip) inflateEnd(&impl_->zs);
  if (impl_->f != nullptr) std::fclose(impl_->f);
}

size_t ShardDecoder::read(char* out, size_t capacity) {
  Impl& d = *impl_;
  if (d.pending_at < d.pending.size()) {  // what line() decoded but did not hand out comes first
    const size_t n = std::min(capacity, d.pending.size() - d.pending_at);
    std::memcpy(out, d.pending.data() + d.pending_at, n);
    d.pending_at += n;
    return n;
  }
  return decode(out, capacity);
}

size_t ShardDecoder::decode(char* out, size_t capacity) {
  Impl& d = *impl_;
  if (!d.gzip) return std::fread(out, 1, capacity, d.f);
  d.zs.next_out = reinterpret_cast<Bytef*>(out);
  d.zs.avail_out = static_cast<uInt>(capacity);
  while (d.zs.avail_out == capacity && !d.done) {
    if (d.zs.avail_in == 0) {
      const size_t n = std::fread(d.in.data(), 1, d.in.size(), d.f);
      if (n == 0) {
        d.done = true;
        break;
      }
      d.zs.next_in = d.in.data();
      d.zs.avail_in = static_cast<uInt>(n);
    }
    const int rc = inflate(&d.zs, Z_NO_FLUSH);
    if (rc == Z_STREAM_END) {
      inflateReset(&d.zs);  // another member may follow (BGZF is a series of them)
    } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
      throw std::runtime_error("'" + d.path + "' holds corrupt gzip data: " + (d.zs.msg ? d.zs.msg : "?"));
    }
  }
  return capacity - d.zs.avail_out;
}

bool ShardDecoder::line(std::string& out) {
  Impl& d = *impl_;
  out.clear();
  for (;;) {
    const size_t nl = d.pending.find('\n', d.pending_at);
    if (nl != std::string::npos) {
      out.append(d.pending, d.pending_at, nl + 1 - d.pending_at);
      d.pending_at = nl + 1;
      return true;
    }
    out.append(d.pending, d.pending_at, std::string::npos);
    d.pending.resize(kChunk);
    d.pending_at = 0;
    const size_t n = decode(d.pending.data(), d.pending.size());
    d.pending.resize(n);
    if (n == 0) return !out.empty();
  }
}

struct MergeEncoder::Impl {
  Encoding encoding;
  AtomicFile file;
  z_stream zs{};
  libdeflate_compressor* compressor = nullptr;
  std::string pending;  // BGZF: bytes not yet cut into a block
  std::vector<unsigned char> out = std::vector<unsigned char>(kBgzfMax);
  Impl(const std::string& path, Encoding e) : encoding(e), file(path) {}

  void deflate_some(const char* data, size_t n, int flush) {
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data));
    zs.avail_in = static_cast<uInt>(n);
    int rc;
    do {
      zs.next_out = out.data();
      zs.avail_out = static_cast<uInt>(out.size());
      rc = deflate(&zs, flush);
      if (rc == Z_STREAM_ERROR) throw std::runtime_error("zlib failed compressing '" + file.path() + "'");
      file.write(out.data(), out.size() - zs.avail_out);
    } while (zs.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
  }
  void block(const char* data, size_t n) {
    const size_t csize = libdeflate_deflate_compress(compressor, data, n, out.data() + 18, kBgzfMax - 26);
    if (csize == 0) {  // as dna's writer: halve a payload that would not fit (never for 0xff00 bytes)
      block(data, n / 2);
      block(data + n / 2, n - n / 2);
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
    std::memcpy(out.data(), header, sizeof(header));
    put32(out.data() + 18 + csize, libdeflate_crc32(0, data, n));
    put32(out.data() + 22 + csize, static_cast<uint32_t>(n));
    file.write(out.data(), bsize);
  }
};

MergeEncoder::MergeEncoder(const std::string& path, Encoding encoding, int bgzf_level)
    : impl_(std::make_unique<Impl>(path, encoding)) {
  if (encoding == Encoding::kGzip && deflateInit2(&impl_->zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED,
                                                  16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("zlib cannot start compressing '" + path + "'");
  if (encoding == Encoding::kBgzf) {
    impl_->compressor = libdeflate_alloc_compressor(bgzf_level);
    if (impl_->compressor == nullptr)
      throw std::runtime_error("libdeflate refuses level " + std::to_string(bgzf_level));
  }
}

MergeEncoder::~MergeEncoder() {
  if (impl_->encoding == Encoding::kGzip) deflateEnd(&impl_->zs);
  if (impl_->compressor != nullptr) libdeflate_free_compressor(impl_->compressor);
}

void MergeEncoder::write(const char* data, size_t n) {
  Impl& e = *impl_;
  switch (e.encoding) {
    case Encoding::kPlain: e.file.write(data, n); break;
    case Encoding::kGzip: e.deflate_some(data, n, Z_NO_FLUSH); break;
    case Encoding::kBgzf: {
      e.pending.append(data, n);
      size_t p = 0;
      for (; e.pending.size() - p >= kBgzfInput; p += kBgzfInput) e.block(e.pending.data() + p, kBgzfInput);
      e.pending.erase(0, p);
    }
  }
}

void MergeEncoder::commit() {
  Impl& e = *impl_;
  if (e.encoding == Encoding::kGzip) e.deflate_some(nullptr, 0, Z_FINISH);
  if (e.encoding == Encoding::kBgzf) {
    if (!e.pending.empty()) e.block(e.pending.data(), e.pending.size());
    e.file.write(kBgzfEof, sizeof(kBgzfEof));
  }
  e.file.commit();
}

}  // namespace seqflow::engine
