// LineReader: streams the lines of a plain or gzip-compressed text file in bounded memory.
//
// What it is: the io module's one way to read text. gzip is detected by its magic bytes (1f 8b), not
// by the file name; concatenated gzip members (as bgzip and `cat a.gz b.gz` make) are read in turn.
// Lines end at '\n'; one '\r' before it (CRLF) is dropped; a last line without '\n' is still a line.
//
// Lifecycle: open in the constructor, next() until it returns false, destroy (closes the file).
// Memory: one chunk of compressed input plus a line buffer that starts at one chunk and grows only to
// hold the longest line; a file is never read whole.
// Threading: one thread at a time per object.
// Ownership: the view that next() returns points into the reader's buffer and is valid until the next
// call to next() or the destructor.
// Errors: seqflow::Error naming the file: cannot open, read error, corrupt or truncated gzip data (with
// the compressed byte offset), all SF_ERR_IO; a line longer than the limit (1 GiB by default), which
// stops a binary file from filling memory, is SF_ERR_INVALID.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace seqflow::io {

class LineReader {
 public:
  static constexpr size_t kDefaultChunk = size_t{1} << 20;
  static constexpr size_t kDefaultMaxLine = size_t{1} << 30;

  /// A line longer than `max_line` bytes is an error: it guards against reading a binary file as text.
  explicit LineReader(std::string path, size_t chunk_size = kDefaultChunk, size_t max_line = kDefaultMaxLine);
  /// Only bytes [begin, end) of a plain (not gzip) file, for --shard-by bytes; line numbers count from
  /// `begin`. Throws for a gzip file, which cannot be entered in the middle.
  struct Range {
    uint64_t begin = 0, end = 0;
  };
  LineReader(std::string path, Range range);
  /// The first line start found by scanning from `offset`: 0 for 0, else the byte after the first '\n' at
  /// or after `offset` (the file's size when there is none). Shards cut at the same offsets meet there.
  static uint64_t line_start_after(const std::string& path, uint64_t offset);
  /// Whether `path` starts with the gzip magic bytes.
  static bool is_gzip_file(const std::string& path);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  /// The next line without its terminator; false at the end of the file.
  bool next(std::string_view& line);
  /// 1-based number of the line next() returned last (0 before the first).
  uint64_t line_number() const { return line_number_; }
  const std::string& path() const { return path_; }
  bool is_gzip() const { return inflater_ != nullptr; }

 private:
  struct Inflater;
  void open_format();
  size_t fill(char* dst, size_t capacity);
  size_t read_raw(void* dst, size_t capacity);
  size_t inflate_into(char* dst, size_t capacity);
  void check_member_header();

  std::string path_;
  size_t chunk_;
  size_t max_line_;
  std::FILE* file_ = nullptr;
  std::unique_ptr<Inflater> inflater_;
  std::vector<char> buf_;
  size_t begin_ = 0;    // first byte of the next line
  size_t scanned_ = 0;  // bytes from begin_ already known to hold no '\n'
  size_t end_ = 0;      // end of valid data
  bool eof_ = false;
  uint64_t line_number_ = 0;
  uint64_t limit_ = UINT64_MAX;  // raw bytes left to read (a byte range's end)
};

}  // namespace seqflow::io
