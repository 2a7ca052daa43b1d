// FastxReader: a streaming FASTA or FASTQ parser over a ByteSource.
//
// What it is: a buffered, memchr-driven line splitter plus a record state machine. It accepts multi-line
// FASTA and FASTQ, CRLF line ends, blank lines between records, lower case and every IUPAC letter, empty
// sequences, the read name repeated on the '+' line, and Phred+33 or Phred+64 qualities (Phred+64 is
// converted to Phred+33 so that every record downstream carries one encoding). Header text after '>' or
// '@' splits at the first space or tab into `id` and `description` (the rest, as kseq/seqtk do).
// Single-line FASTQ records are returned as views into the read buffer: no copy, no allocation.
// Lifecycle: construct (or open()) -> next() until it returns false.
// Memory: the buffer holds one read chunk and grows only to hold the longest FASTQ record (or FASTA line)
// seen; a FASTA sequence is accumulated in one reused string. Memory does not depend on the file size.
// Threading: one thread at a time.
// Ownership: the views in FastxRecord stay valid until the next call to next().
// Errors: FormatError, with where() = "FILE:record N (line L)" and a reason that says what is wrong and
// what to do. recoverable() is true when the parser has already moved to the start of the next record, so
// a caller that skips bad records may call next() again; false for a damaged stream (truncated gzip, a
// binary or wrong-format file), after which nothing more can be read.
#pragma once

#include "byte_source.hpp"

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace seqflow::dna {

enum class Format { kFasta, kFastq };

struct ReaderOptions {
  int quality_offset = 33;                    // 33 or 64
  size_t max_record_bytes = size_t{1} << 32;  // guard against a binary file without line ends
  bool prefetch = false;                      // decompress on a background thread
  size_t buffer_bytes = size_t{1} << 20;
};

struct FastxRecord {
  std::string_view id;
  std::string_view description;
  std::string_view seq;
  std::string_view qual;  // FASTQ only, Phred+33
};

class FormatError : public std::runtime_error {
 public:
  FormatError(const std::string& where, const std::string& reason, bool recoverable)
      : std::runtime_error(where + ": " + reason),
        where_(where),
        reason_(reason),
        recoverable_(recoverable) {}
  const std::string& where() const { return where_; }
  const std::string& reason() const { return reason_; }
  bool recoverable() const { return recoverable_; }

 private:
  std::string where_;
  std::string reason_;
  bool recoverable_;
};

class FastxReader {
 public:
  /// `name` is the file name used in messages.
  FastxReader(std::unique_ptr<ByteSource> source, std::string name, Format format,
              ReaderOptions options = {});
  /// Opens `path` (plain, gzip or BGZF). Throws FormatError (not recoverable) when it cannot be opened.
  static std::unique_ptr<FastxReader> open(const std::string& path, Format format,
                                           ReaderOptions options = {});

  /// The next record, or false at the end of the input. Throws FormatError.
  bool next(FastxRecord& record);

 private:
  struct Line {
    size_t off = 0;  // relative to rec_
    size_t len = 0;
  };

  bool next_fasta(FastxRecord& r);
  bool next_fastq(FastxRecord& r);
  bool fast_fastq(FastxRecord& r);
  void check_start(char expected);
  /// Reads more input (compacting or growing the buffer); false at the end. A speculative read keeps a
  /// stream error for when the parser actually needs the missing data.
  bool more(bool speculative = false);
  bool read_line(Line& l);
  /// Takes the next line if it is `len` bytes followed by '\n'; the caller knows it holds no '\n'.
  bool take_line(Line& l, size_t len);
  int peek();
  void skip_blank_lines();
  void skip_until(char c);
  const char* at(const Line& l) const { return buf_.data() + rec_ + l.off; }
  std::string where(uint64_t line) const;
  [[noreturn]] void fail(uint64_t line, const std::string& reason, bool recoverable) const;
  void note(uint64_t line, const std::string& reason);
  std::string invalid_base(const char* p, size_t n, size_t column_base) const;
  std::string invalid_quality(const char* p, size_t n) const;
  void split_header(std::string_view text, FastxRecord& r) const;

  std::unique_ptr<ByteSource> source_;
  std::string name_;
  Format format_;
  ReaderOptions opt_;
  std::vector<char> buf_;
  size_t rec_ = 0;  // first byte that must be kept
  size_t cur_ = 0;  // next unread byte
  size_t end_ = 0;  // end of valid data
  bool eof_ = false;
  bool started_ = false;
  uint64_t line_ = 0;
  uint64_t record_ = 0;
  std::string header_;
  std::string seq_;
  std::string qual_;
  std::string stream_error_;
  // The first problem found in the current record; thrown once the record's end is known.
  uint64_t pending_line_ = 0;
  std::string pending_;
};

/// Splits a header's text (without '>' or '@') into id and description.
void split_header_text(std::string_view text, std::string_view& id, std::string_view& description);

}  // namespace seqflow::dna
