#include "io/line_reader.hpp"

#include <seqflow/sdk.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <isa-l/igzip_lib.h>

namespace seqflow::io {

// gzip through ISA-L's igzip inflate (2.5-3x zlib's speed here); each member's CRC-32 and length are
// checked, and members follow one another (bgzip, concatenated files).
struct LineReader::Inflater {
  inflate_state st{};
  std::vector<unsigned char> in;
  uint64_t consumed_before = 0;  // compressed bytes consumed before the current `in` chunk
  bool input_done = false;       // the file has no more compressed bytes
  bool stream_end = false;       // the last member ended and no more input follows
  uint64_t offset() const { return consumed_before + static_cast<uint64_t>(st.next_in - in.data()); }
  /// A new member from the current input position, into the current output buffer.
  void start() {
    uint8_t* next = st.next_in;
    const uint32_t avail = st.avail_in;
    uint8_t* out = st.next_out;
    const uint32_t room = st.avail_out;
    isal_inflate_init(&st);
    st.crc_flag = ISAL_GZIP;
    st.next_in = next;
    st.avail_in = avail;
    st.next_out = out;
    st.avail_out = room;
  }
};

namespace {

std::string inflate_error(int rc) {
  switch (rc) {
    case ISAL_INVALID_BLOCK: return "invalid deflate block";
    case ISAL_INVALID_SYMBOL: return "invalid deflate symbol";
    case ISAL_INVALID_LOOKBACK: return "back-reference distance too far back";
    case ISAL_INVALID_WRAPPER: return "invalid gzip header";
    case ISAL_UNSUPPORTED_METHOD: return "unsupported compression method";
    case ISAL_INCORRECT_CHECKSUM: return "CRC-32 or length check failed";
    default: return "inflate error " + std::to_string(rc);
  }
}

}  // namespace

LineReader::LineReader(std::string path, size_t chunk_size, size_t max_line)
    : path_(std::move(path)), chunk_(chunk_size < 64 ? 64 : chunk_size), max_line_(max_line) {
  file_ = std::fopen(path_.c_str(), "rb");
  if (file_ == nullptr) throw Error("cannot open '" + path_ + "': " + std::strerror(errno), SF_ERR_IO);
  try {
    open_format();
  } catch (...) {
    std::fclose(file_);
    throw;
  }
}

LineReader::LineReader(std::string path, Range range)
    : path_(std::move(path)), chunk_(kDefaultChunk), max_line_(kDefaultMaxLine) {
  if (is_gzip_file(path_))
    throw Error(
        "'" + path_ +
            "' is gzip: a gzip stream can only be read from its start, so --shard-by bytes cannot split "
            "it; decompress it or use --shard-by file",
        SF_ERR_INVALID);
  file_ = std::fopen(path_.c_str(), "rb");
  if (file_ == nullptr) throw Error("cannot open '" + path_ + "': " + std::strerror(errno), SF_ERR_IO);
  if (::fseeko(file_, static_cast<off_t>(range.begin), SEEK_SET) != 0) {
    std::fclose(file_);
    throw Error("cannot seek in '" + path_ + "': " + std::strerror(errno), SF_ERR_IO);
  }
  limit_ = range.end > range.begin ? range.end - range.begin : 0;
  buf_.resize(chunk_);
  end_ = read_raw(buf_.data(), chunk_);
  eof_ = end_ == 0;
}

bool LineReader::is_gzip_file(const std::string& path) {
  unsigned char magic[2] = {0, 0};
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) throw Error("cannot open '" + path + "': " + std::strerror(errno), SF_ERR_IO);
  const size_t n = std::fread(magic, 1, 2, f);
  std::fclose(f);
  return n == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
}

uint64_t LineReader::line_start_after(const std::string& path, uint64_t offset) {
  if (offset == 0) return 0;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) throw Error("cannot open '" + path + "': " + std::strerror(errno), SF_ERR_IO);
  uint64_t at = offset;
  if (::fseeko(f, static_cast<off_t>(offset), SEEK_SET) == 0) {
    std::vector<char> buf(size_t{1} << 16);
    for (size_t n; (n = std::fread(buf.data(), 1, buf.size(), f)) > 0; at += n) {
      if (const void* nl = std::memchr(buf.data(), '\n', n)) {
        at += static_cast<uint64_t>(static_cast<const char*>(nl) - buf.data()) + 1;
        std::fclose(f);
        return at;
      }
    }
  }
  std::fclose(f);
  return at;  // no line starts after `offset`: the end of the file
}

void LineReader::open_format() {
  buf_.resize(chunk_);
  // The first chunk decides the format; for plain text it is simply the first block of lines.
  size_t n = read_raw(buf_.data(), chunk_);
  if (n >= 2 && static_cast<unsigned char>(buf_[0]) == 0x1f && static_cast<unsigned char>(buf_[1]) == 0x8b) {
    inflater_ = std::make_unique<Inflater>();
    inflater_->in.assign(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(n));
    inflater_->in.resize(chunk_);
    inflater_->st.next_in = inflater_->in.data();
    inflater_->st.avail_in = static_cast<uint32_t>(n);
    inflater_->input_done = n < chunk_ && std::feof(file_);
    check_member_header();
    inflater_->start();
  } else {
    end_ = n;
    eof_ = n == 0;
  }
}

LineReader::~LineReader() {
  if (file_ != nullptr) std::fclose(file_);
}

size_t LineReader::read_raw(void* dst, size_t capacity) {
  size_t n = std::fread(dst, 1, static_cast<size_t>(std::min<uint64_t>(capacity, limit_)), file_);
  limit_ -= n;
  if (std::ferror(file_)) throw Error("cannot read '" + path_ + "': " + std::strerror(errno), SF_ERR_IO);
  return n;
}

size_t LineReader::inflate_into(char* dst, size_t capacity) {
  Inflater& z = *inflater_;
  if (z.stream_end) return 0;
  auto refill = [&] {
    if (z.st.avail_in != 0 || z.input_done) return;
    z.consumed_before += static_cast<uint64_t>(z.st.next_in - z.in.data());
    size_t n = read_raw(z.in.data(), z.in.size());
    z.st.next_in = z.in.data();
    z.st.avail_in = static_cast<uint32_t>(n);
    if (n == 0) z.input_done = true;
  };
  z.st.next_out = reinterpret_cast<uint8_t*>(dst);
  z.st.avail_out = static_cast<uint32_t>(capacity);
  while (z.st.avail_out == capacity) {
    refill();
    const uint32_t in_before = z.st.avail_in;
    const int rc = isal_inflate(&z.st);
    if (rc < 0) {
      throw Error(path_ + ": corrupt gzip data at compressed byte " + std::to_string(z.offset()) + ": " +
                      inflate_error(rc),
                  SF_ERR_IO);
    }
    if (z.st.block_state == ISAL_BLOCK_FINISH) {
      // Another member may follow (bgzip, concatenated files); anything else fails its header check.
      refill();
      if (z.st.avail_in == 0) {
        z.stream_end = true;
        break;
      }
      check_member_header();
      z.start();
    } else if (z.input_done && z.st.avail_in == 0 && in_before == 0 && z.st.avail_out == capacity) {
      throw Error(path_ + ": gzip data is truncated (the file ends at compressed byte " +
                      std::to_string(z.offset()) + " inside a gzip member)",
                  SF_ERR_IO);
    }
  }
  return capacity - z.st.avail_out;
}

// igzip accepts reserved header flags and waits for more input on a short non-gzip tail; zlib rejected
// both at once, so the first bytes of every member are checked here: magic, deflate, no reserved flags.
void LineReader::check_member_header() {
  Inflater& z = *inflater_;
  if (z.st.avail_in < 4 && !z.input_done) {
    // Move the few bytes left to the front and read more behind them.
    z.consumed_before += static_cast<uint64_t>(z.st.next_in - z.in.data());
    std::memmove(z.in.data(), z.st.next_in, z.st.avail_in);
    const size_t n = read_raw(z.in.data() + z.st.avail_in, z.in.size() - z.st.avail_in);
    z.st.next_in = z.in.data();
    z.st.avail_in += static_cast<uint32_t>(n);
    if (n == 0) z.input_done = true;
  }
  const unsigned char* h = z.st.next_in;
  const uint32_t n = z.st.avail_in;
  const char* why = nullptr;
  if ((n >= 1 && h[0] != 0x1f) || (n >= 2 && h[1] != 0x8b))
    why = "not a gzip member (trailing data after the last one?)";
  else if (n >= 3 && h[2] != 8) why = "unsupported compression method";
  else if (n >= 4 && (h[3] & 0xe0) != 0) why = "reserved header flags set";
  else if (n < 4) why = "a gzip member cut short in its header";
  if (why != nullptr)
    throw Error(path_ + ": corrupt gzip data at compressed byte " + std::to_string(z.offset()) + ": " + why,
                SF_ERR_IO);
}

size_t LineReader::fill(char* dst, size_t capacity) {
  return inflater_ != nullptr ? inflate_into(dst, capacity) : read_raw(dst, capacity);
}

bool LineReader::next(std::string_view& line) {
  for (;;) {
    const char* base = buf_.data();
    const void* nl = std::memchr(base + begin_ + scanned_, '\n', end_ - begin_ - scanned_);
    size_t stop;
    if (nl != nullptr) {
      stop = static_cast<size_t>(static_cast<const char*>(nl) - base);
    } else if (eof_) {
      if (begin_ == end_) return false;
      stop = end_;
    } else {
      // Keep the partial line, make room, read more; the buffer grows only for a line longer than it.
      scanned_ = end_ - begin_;
      if (begin_ > 0) {
        std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
      }
      if (end_ > max_line_)
        throw Error(path_ + ":" + std::to_string(line_number_ + 1) + ": line is longer than " +
                    std::to_string(max_line_) + " bytes (is this a text file?)");
      if (end_ == buf_.size()) buf_.resize(buf_.size() * 2);
      size_t n = fill(buf_.data() + end_, buf_.size() - end_);
      if (n == 0) eof_ = true;
      end_ += n;
      continue;
    }
    size_t len = stop - begin_;
    if (len > 0 && base[stop - 1] == '\r') --len;
    line = std::string_view(base + begin_, len);
    begin_ = stop < end_ ? stop + 1 : stop;
    scanned_ = 0;
    ++line_number_;
    return true;
  }
}

}  // namespace seqflow::io
