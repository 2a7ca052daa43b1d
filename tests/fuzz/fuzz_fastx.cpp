// Fuzz target: dna's FASTA/FASTQ reader over plain, gzip and BGZF input, at every chunking.
//
// Option bytes pick the format, the quality offset, the read buffer size and how the payload (the rest
// of the input) reaches the parser:
//   0: from memory through a ByteSource that hands out 1..255 bytes per read (every chunk boundary);
//   1: as a file, as is (a mutated gzip or BGZF seed reaches the decompressors);
//   2: gzip-compressed (libdeflate), 3: cut into BGZF blocks of 1..255 payload bytes;
// then, for plain and BGZF files, the --shard-by bytes path: resync() at an offset the options pick and
// a read of the range from there. Records are read as dna.fasta_read / dna.fastq_read do: after a
// recoverable FormatError the reader goes on, after any other error it stops. Checked properties: a
// FASTQ record's quality is as long as its sequence; errors name the input.
#include "byte_source.hpp"
#include "fastx_reader.hpp"
#include "fastx_resync.hpp"
#include "fuzz_util.hpp"

#include <libdeflate.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>

namespace {

using namespace seqflow::dna;

class ChunkedSource : public ByteSource {
 public:
  ChunkedSource(std::string_view data, size_t chunk) : data_(data), chunk_(chunk) {}
  size_t read(char* out, size_t capacity) override {
    size_t n = std::min({capacity, chunk_, data_.size()});
    std::memcpy(out, data_.data(), n);
    data_.remove_prefix(n);
    return n;
  }

 private:
  std::string_view data_;
  size_t chunk_;
};

void put16(std::string& s, uint32_t v) {
  s += static_cast<char>(v & 0xff);
  s += static_cast<char>((v >> 8) & 0xff);
}
void put32(std::string& s, uint32_t v) {
  put16(s, v & 0xffff);
  put16(s, v >> 16);
}

std::string gzip(std::string_view payload) {
  libdeflate_compressor* c = libdeflate_alloc_compressor(1);
  std::string out(libdeflate_gzip_compress_bound(c, payload.size()), '\0');
  out.resize(libdeflate_gzip_compress(c, payload.data(), payload.size(), out.data(), out.size()));
  libdeflate_free_compressor(c);
  return out;
}

// BGZF as the SAM specification defines it: gzip members with a "BC" extra field holding the member's
// size minus one, then the empty end-of-file member.
std::string bgzf(std::string_view payload, size_t block) {
  libdeflate_compressor* c = libdeflate_alloc_compressor(1);
  std::string out;
  auto member = [&](std::string_view piece) {
    std::string deflated(libdeflate_deflate_compress_bound(c, piece.size()), '\0');
    deflated.resize(
        libdeflate_deflate_compress(c, piece.data(), piece.size(), deflated.data(), deflated.size()));
    if (piece.empty()) deflated.assign("\x03\x00", 2);
    std::string m("\x1f\x8b\x08\x04\x00\x00\x00\x00\x00\xff\x06\x00\x42\x43\x02\x00", 16);
    put16(m, static_cast<uint32_t>(16 + 2 + deflated.size() + 8 - 1));
    m += deflated;
    put32(m, libdeflate_crc32(0, piece.data(), piece.size()));
    put32(m, static_cast<uint32_t>(piece.size()));
    out += m;
  };
  for (size_t at = 0; at < payload.size(); at += block) member(payload.substr(at, block));
  member({});
  libdeflate_free_compressor(c);
  return out;
}

void drain(FastxReader& reader, Format format, const std::string& name) {
  FastxRecord r;
  for (int errors = 0; errors < 10000;) {
    try {
      if (!reader.next(r)) return;
      if (format == Format::kFastq && r.qual.size() != r.seq.size()) __builtin_trap();
    } catch (const FormatError& e) {
      if (e.where().find(name) == std::string::npos) __builtin_trap();
      if (!e.recoverable()) return;
      ++errors;
    } catch (const InputError&) {
      return;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  seqflow::fuzz::Cursor in(data, size);
  const uint8_t o1 = in.byte(), o2 = in.byte(), o3 = in.byte();
  const Format format = o1 & 1 ? Format::kFastq : Format::kFasta;
  ReaderOptions opt;
  opt.quality_offset = o1 & 2 ? 64 : 33;
  opt.buffer_bytes = o1 & 4 ? size_t{1} + o3 : size_t{1} << 16;
  opt.prefetch = (o1 & 8) != 0;
  const int mode = (o1 >> 4) & 3;
  const size_t chunk = std::max<size_t>(1, o2);
  const std::string_view payload = in.rest();

  if (mode == 0) {
    FastxReader reader(std::make_unique<ChunkedSource>(payload, chunk), "memory", format, opt);
    drain(reader, format, "memory");
    return 0;
  }
  std::string file = mode == 1 ? std::string(payload) : mode == 2 ? gzip(payload) : bgzf(payload, chunk);
  const std::string path = seqflow::fuzz::write_file("input.fastx", file);
  try {
    std::unique_ptr<FastxReader> reader = FastxReader::open(path, format, opt);
    drain(*reader, format, path);
  } catch (const FormatError& e) {
    if (e.where().find(path) == std::string::npos) __builtin_trap();
    return 0;
  }
  try {
    Compression kind = sniff_compression(path);
    if (kind == Compression::kGzip) return 0;
    const uint64_t offset = file.empty() ? 0 : (uint64_t{o3} * 257 + o2) % file.size();
    VirtualOffset begin = resync(path, kind, format, offset);
    VirtualOffset end{file.size(), 0};
    FastxReader reader(open_input_range(path, kind, begin, end), path, format, opt);
    drain(reader, format, path);
  } catch (const InputError&) {
  } catch (const FormatError& e) {
    if (e.where().find(path) == std::string::npos) __builtin_trap();
  }
  return 0;
}
