// Byte streams for `seqflow merge`: shard outputs decoded (plain, gzip or BGZF) and the merged output
// encoded exactly as the writer that made the shards would have encoded a single run's bytes.
//
// What it is: ShardDecoder reads a file's decoded bytes (gzip members in turn, with zlib); MergeEncoder
// writes the merged bytes plain, as gzip the way io's writers do (zlib, default level, 15-bit window,
// memLevel 8: the output does not depend on how the input is cut into calls), or as BGZF the way dna's
// writers do (0xff00-byte payloads, libdeflate at the writer's level, the empty end-of-file block), to
// a temporary file renamed onto the target by commit().
// Lifecycle: construct -> read()/write()* -> (commit()). Threading: one thread per object.
// Errors: std::runtime_error naming the file (unreadable, corrupt gzip).
#pragma once

#include <seqflow/atomic_file.hpp>

#include <cstdint>
#include <memory>
#include <string>

namespace seqflow::engine {

enum class Encoding { kPlain, kGzip, kBgzf };

/// The encoding of an existing file, from its first bytes.
Encoding sniff_encoding(const std::string& path);

class ShardDecoder {
 public:
  explicit ShardDecoder(const std::string& path);
  ~ShardDecoder();
  /// Up to `capacity` decoded bytes; 0 at the end.
  size_t read(char* out, size_t capacity);
  /// The next line with its '\n' (the last may lack it); false at the end.
  bool line(std::string& out);

 private:
  size_t decode(char* out, size_t capacity);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class MergeEncoder {
 public:
  MergeEncoder(const std::string& path, Encoding encoding, int bgzf_level);
  ~MergeEncoder();
  void write(const char* data, size_t n);
  void write(const std::string& s) { write(s.data(), s.size()); }
  void commit();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace seqflow::engine
