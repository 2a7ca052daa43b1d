// FastxWriter: formats FASTA/FASTQ records into an output file, plain or BGZF-compressed.
//
// What it is: records are appended to a large in-memory buffer that is flushed in 1 MiB pieces to a
// seqflow::AtomicFile (temporary name, renamed onto the target by commit()). With gzip, the bytes are cut
// into BGZF blocks (64 KiB gzip members, what bgzip and htslib write) compressed with libdeflate: any
// gzip reader reads them, and BGZF-aware tools can seek in them.
// FASTA: `>id description` (description after one space when not empty), then the sequence on one line
// (line_width 0) or in lines of line_width characters; an empty sequence gives an empty line when
// line_width is 0 and no line otherwise, exactly as `seqtk seq -A [-l N]` does.
// FASTQ: `@id description`, sequence, `+` (or `+id description` with repeat_name), quality.
// Lifecycle: construct -> write()* -> commit(). Destroying an uncommitted writer removes the temporary.
// Threading: one thread at a time.
// Errors: seqflow::Error: SF_ERR_IO for file failures, SF_ERR_INVALID for a record that cannot be written
// (quality length differs from the sequence, quality out of range); a rejected record writes nothing.
#pragma once

#include "fastx_reader.hpp"

#include <seqflow/atomic_file.hpp>

#include <memory>
#include <string>
#include <string_view>

struct libdeflate_compressor;

namespace seqflow::dna {

struct WriterOptions {
  size_t line_width = 0;    // FASTA only; 0 = one line per sequence
  bool gzip = false;        // BGZF output
  int level = 6;            // libdeflate level 1..12
  int quality_offset = 33;  // FASTQ: 33, or 64 to write Phred+64
  bool repeat_name = false;
};

class FastxWriter {
 public:
  FastxWriter(const std::string& path, Format format, WriterOptions options);
  ~FastxWriter();
  FastxWriter(const FastxWriter&) = delete;
  FastxWriter& operator=(const FastxWriter&) = delete;

  /// Appends one record; `qual` is Phred+33 and ignored for FASTA.
  void write(std::string_view id, std::string_view description, std::string_view seq, std::string_view qual);
  /// Flushes everything and publishes the file.
  void commit();

 private:
  void flush(bool all);
  void write_block(const char* data, size_t n);
  /// Room for `n` more bytes at the end of the buffer (grown if needed); the caller advances used_.
  char* tail(size_t n);

  Format format_;
  WriterOptions opt_;
  AtomicFile file_;
  std::unique_ptr<char[]> buf_;  // pending output: used_ bytes of capacity_
  size_t used_ = 0;
  size_t capacity_ = 0;
  std::string block_;
  libdeflate_compressor* compressor_ = nullptr;
};

/// True when `path` names a gzip file by its extension (.gz, .bgz, .bgzf).
bool has_gzip_extension(std::string_view path);

}  // namespace seqflow::dna
