#include "io/line_reader.hpp"

#include <seqflow/sdk.hpp>

#include <cerrno>
#include <cstring>

#include <zlib.h>

namespace seqflow::io {

struct LineReader::Inflater {
  z_stream zs{};
  std::vector<unsigned char> in;
  uint64_t consumed_before = 0;  // compressed bytes consumed before the current `in` chunk
  bool input_done = false;       // the file has no more compressed bytes
  bool stream_end = false;       // the last member ended and no more input follows
  ~Inflater() { inflateEnd(&zs); }
  uint64_t offset() const { return consumed_before + (zs.next_in - in.data()); }
};

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

void LineReader::open_format() {
  buf_.resize(chunk_);
  // The first chunk decides the format; for plain text it is simply the first block of lines.
  size_t n = read_raw(buf_.data(), chunk_);
  if (n >= 2 && static_cast<unsigned char>(buf_[0]) == 0x1f && static_cast<unsigned char>(buf_[1]) == 0x8b) {
    inflater_ = std::make_unique<Inflater>();
    if (inflateInit2(&inflater_->zs, 16 + MAX_WBITS) != Z_OK) {
      inflater_.reset();
      throw Error("cannot start gzip decompression for '" + path_ + "'", SF_ERR_INTERNAL);
    }
    inflater_->in.assign(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(n));
    inflater_->in.resize(chunk_);
    inflater_->zs.next_in = inflater_->in.data();
    inflater_->zs.avail_in = static_cast<uInt>(n);
    inflater_->input_done = n < chunk_ && std::feof(file_);
  } else {
    end_ = n;
    eof_ = n == 0;
  }
}

LineReader::~LineReader() {
  if (file_ != nullptr) std::fclose(file_);
}

size_t LineReader::read_raw(void* dst, size_t capacity) {
  size_t n = std::fread(dst, 1, capacity, file_);
  if (n < capacity && std::ferror(file_))
    throw Error("cannot read '" + path_ + "': " + std::strerror(errno), SF_ERR_IO);
  return n;
}

size_t LineReader::inflate_into(char* dst, size_t capacity) {
  Inflater& z = *inflater_;
  if (z.stream_end) return 0;
  z.zs.next_out = reinterpret_cast<Bytef*>(dst);
  z.zs.avail_out = static_cast<uInt>(capacity);
  while (z.zs.avail_out == capacity) {
    if (z.zs.avail_in == 0 && !z.input_done) {
      z.consumed_before += static_cast<uint64_t>(z.zs.next_in - z.in.data());
      size_t n = read_raw(z.in.data(), z.in.size());
      z.zs.next_in = z.in.data();
      z.zs.avail_in = static_cast<uInt>(n);
      if (n == 0) z.input_done = true;
    }
    int rc = inflate(&z.zs, Z_NO_FLUSH);
    if (rc == Z_STREAM_END) {
      // Another member may follow (bgzip, concatenated files); anything else is reported by inflate.
      if (z.zs.avail_in == 0 && !z.input_done) {
        z.consumed_before += static_cast<uint64_t>(z.zs.next_in - z.in.data());
        size_t n = read_raw(z.in.data(), z.in.size());
        z.zs.next_in = z.in.data();
        z.zs.avail_in = static_cast<uInt>(n);
        if (n == 0) z.input_done = true;
      }
      if (z.zs.avail_in == 0) {
        z.stream_end = true;
        break;
      }
      inflateReset(&z.zs);
    } else if (rc == Z_BUF_ERROR && z.zs.avail_in == 0 && z.input_done) {
      throw Error(path_ + ": gzip data is truncated (the file ends at compressed byte " +
                      std::to_string(z.offset()) + " inside a gzip member)",
                  SF_ERR_IO);
    } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
      throw Error(path_ + ": corrupt gzip data at compressed byte " + std::to_string(z.offset()) + ": " +
                      (z.zs.msg != nullptr ? z.zs.msg : "inflate failed"),
                  SF_ERR_IO);
    }
  }
  return capacity - z.zs.avail_out;
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
