// seqflow/shard.hpp: which part of its input a source reads when a run is split by file or by bytes.
//
// What it is: the shared arithmetic every sharding source uses, so that the shards of one run partition
// the input the same way whatever module reads it. Header-only, pure functions.
//  - shard_files(): whole files, contiguous in input order and balanced by size: file j goes to the shard
//    that holds the middle byte of j in the concatenated input (empty inputs are spread by count).
//    Contiguity is what lets `seqflow merge` rebuild a single run's output by concatenation.
//  - shard_byte_spans(): the shard's byte range [index*S/count, (index+1)*S/count) of the concatenated
//    input (S bytes), cut at file ends. A reader reads, in each span, the records that start after
//    resync(begin) up to resync(end), where resync(x) is the first record start found by scanning from
//    x (x = 0: the file's start; x = the file's size: its end). Every shard applies the same resync to
//    the same offsets, so neighbours meet exactly and every record is read once.
// Threading: none. Errors: file_sizes() throws seqflow::Error naming a file it cannot stat.
#pragma once

#include <seqflow/sdk.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace seqflow {
inline namespace sdk_v1 {

/// The sizes of `paths` in bytes.
inline std::vector<uint64_t> file_sizes(const std::vector<std::string>& paths) {
  std::vector<uint64_t> sizes;
  for (const std::string& p : paths) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0)
      throw Error("cannot stat '" + p + "' to shard it: " + std::strerror(errno), SF_ERR_IO);
    sizes.push_back(static_cast<uint64_t>(st.st_size));
  }
  return sizes;
}

/// floor(a * b / c) without overflow.
inline uint64_t shard_muldiv(uint64_t a, uint64_t b, uint64_t c) {
  return static_cast<uint64_t>(static_cast<unsigned __int128>(a) * b / c);
}

/// Indices of the files shard `index` of `count` reads whole, in input order.
inline std::vector<size_t> shard_files(const std::vector<uint64_t>& sizes, uint32_t index, uint32_t count) {
  uint64_t total = 0;
  for (uint64_t s : sizes) total += s;
  std::vector<size_t> mine;
  uint64_t prefix = 0;
  for (size_t j = 0; j < sizes.size(); ++j) {
    const uint64_t owner =
        total == 0 ? shard_muldiv(j, count, sizes.size()) : shard_muldiv(prefix + sizes[j] / 2, count, total);
    if (owner == index) mine.push_back(j);
    prefix += sizes[j];
  }
  return mine;
}

struct ByteSpan {
  size_t file = 0;     // index into the inputs
  uint64_t begin = 0;  // raw (compressed, for BGZF) byte offsets within that file
  uint64_t end = 0;
};

/// The non-empty spans of shard `index` of `count`, in input order.
inline std::vector<ByteSpan> shard_byte_spans(const std::vector<uint64_t>& sizes, uint32_t index,
                                              uint32_t count) {
  uint64_t total = 0;
  for (uint64_t s : sizes) total += s;
  const uint64_t lo = shard_muldiv(total, index, count), hi = shard_muldiv(total, index + 1u, count);
  std::vector<ByteSpan> spans;
  uint64_t prefix = 0;
  for (size_t j = 0; j < sizes.size(); ++j) {
    const uint64_t b = std::max(lo, prefix), e = std::min(hi, prefix + sizes[j]);
    if (b < e) spans.push_back({j, b - prefix, e - prefix});
    prefix += sizes[j];
  }
  return spans;
}

}  // namespace sdk_v1
}  // namespace seqflow
