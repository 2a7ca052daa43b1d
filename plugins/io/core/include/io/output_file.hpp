// OutputFile: a text output written through seqflow::AtomicFile, optionally gzip-compressed.
//
// Lifecycle: construct (creates the temporary), write() any number of times, commit() publishes the
// file under its name; destroying an uncommitted OutputFile removes the temporary (a failed run leaves
// nothing behind).
// Threading: one thread at a time. Ownership: owns its AtomicFile and compressor.
// Errors: seqflow::Error (SF_ERR_IO) naming the path.
#pragma once

#include <seqflow/atomic_file.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace seqflow::io {

/// True when `path` ends in ".gz": the writers' signal to compress.
bool has_gzip_suffix(std::string_view path);

class OutputFile {
 public:
  OutputFile(std::string path, bool gzip);
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  void write(std::string_view data);
  /// Finishes the gzip stream (if any) and renames the temporary onto the path.
  void commit();
  const std::string& path() const { return file_.path(); }

 private:
  struct Deflater;
  void deflate_pending(bool finish);

  AtomicFile file_;
  std::unique_ptr<Deflater> deflater_;
  std::string pending_;  // uncompressed bytes not yet handed to deflate
};

}  // namespace seqflow::io
