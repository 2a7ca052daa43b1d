#include "io/npy.hpp"

#include <seqflow/sdk.hpp>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <charconv>
#include <cstring>

#include <sys/stat.h>

namespace seqflow::io {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;

[[noreturn]] void fail_at(uint64_t offset, const std::string& message) {
  throw Error("at byte " + std::to_string(offset) + ": " + message);
}

uint32_t read_le(std::string_view b, size_t at, size_t n) {
  uint32_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= static_cast<uint32_t>(static_cast<unsigned char>(b[at + i])) << (8 * i);
  return v;
}

size_t preamble_length(std::string_view head) {
  if (head.size() < kMagicLen + 2) {
    if (head.substr(0, std::min(head.size(), kMagicLen)) !=
        std::string_view(kMagic, std::min(head.size(), kMagicLen)))
      fail_at(0, "not a .npy file (it does not start with \\x93NUMPY)");
    fail_at(head.size(), "header is truncated: the file ends inside the 10-byte preamble");
  }
  if (head.substr(0, kMagicLen) != std::string_view(kMagic, kMagicLen))
    fail_at(0, "not a .npy file (it does not start with \\x93NUMPY)");
  auto major = static_cast<unsigned char>(head[6]);
  auto minor = static_cast<unsigned char>(head[7]);
  if (minor != 0 || major < 1 || major > 3)
    fail_at(6, "unsupported .npy format version " + std::to_string(major) + "." + std::to_string(minor) +
                   " (versions 1.0, 2.0 and 3.0 are supported)");
  return major == 1 ? 10 : 12;
}

// The header dictionary: a Python literal such as {'descr': '<f4', 'fortran_order': False, 'shape': (3,), }
class DictParser {
 public:
  DictParser(std::string_view text, uint64_t base) : text_(text), base_(base) {}

  NpyHeader parse() {
    NpyHeader h;
    bool have_descr = false, have_order = false, have_shape = false;
    expect('{', "'{' opening the header dictionary");
    for (;;) {
      skip_space();
      if (peek() == '}') break;
      size_t key_pos = pos_;
      std::string key = string_literal();
      expect(':', "':' after key '" + key + "'");
      skip_space();
      if (key == "descr") {
        if (peek() == '[')
          fail("unsupported dtype: structured arrays (a list of fields in 'descr') cannot be read");
        size_t at = pos_;
        h.descr = string_literal();
        set_dtype(h, at);
        have_descr = check_new(have_descr, key, key_pos);
      } else if (key == "fortran_order") {
        h.fortran_order = boolean();
        have_order = check_new(have_order, key, key_pos);
      } else if (key == "shape") {
        h.shape = tuple();
        have_shape = check_new(have_shape, key, key_pos);
      } else {
        pos_ = key_pos;
        fail("header has an unknown key '" + key + "' (expected descr, fortran_order, shape)");
      }
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() != '}') fail("expected ',' or '}' in the header dictionary");
    }
    const char* missing = !have_descr   ? "descr"
                          : !have_order ? "fortran_order"
                          : !have_shape ? "shape"
                                        : nullptr;
    if (missing != nullptr) fail(std::string("header has no '") + missing + "' key");
    return h;
  }

 private:
  [[noreturn]] void fail(const std::string& message) const { fail_at(base_ + pos_, message); }
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n')) ++pos_;
  }
  void expect(char c, const std::string& what) {
    skip_space();
    if (peek() != c) fail("expected " + what);
    ++pos_;
  }
  bool check_new(bool seen, const std::string& key, size_t key_pos) {
    if (seen) {
      pos_ = key_pos;
      fail("header repeats the key '" + key + "'");
    }
    return true;
  }
  std::string string_literal() {
    skip_space();
    char q = peek();
    if (q != '\'' && q != '"') fail("expected a quoted string");
    size_t end = text_.find(q, pos_ + 1);
    if (end == std::string_view::npos) fail("unterminated string");
    std::string s(text_.substr(pos_ + 1, end - pos_ - 1));
    pos_ = end + 1;
    return s;
  }
  bool boolean() {
    if (text_.substr(pos_, 4) == "True") {
      pos_ += 4;
      return true;
    }
    if (text_.substr(pos_, 5) == "False") {
      pos_ += 5;
      return false;
    }
    fail("expected True or False for 'fortran_order'");
  }
  std::vector<int64_t> tuple() {
    std::vector<int64_t> shape;
    expect('(', "'(' opening the shape tuple");
    for (;;) {
      skip_space();
      if (peek() == ')') break;
      size_t start = pos_;
      while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
      int64_t d = 0;
      auto res = std::from_chars(text_.data() + start, text_.data() + pos_, d);
      if (start == pos_) fail("expected a non-negative integer in the shape");
      if (res.ec != std::errc()) {
        pos_ = start;
        fail("shape dimension is too large");
      }
      if (peek() == 'L') ++pos_;  // Python 2 long literals
      if (shape.size() == SF_MAX_DIMS) {
        pos_ = start;
        fail("the array has more than " + std::to_string(SF_MAX_DIMS) + " dimensions (at most " +
             std::to_string(SF_MAX_DIMS) + " are supported)");
      }
      shape.push_back(d);
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() != ')') fail("expected ',' or ')' in the shape tuple");
    }
    ++pos_;
    return shape;
  }
  void set_dtype(NpyHeader& h, size_t at) {
    std::string_view d = h.descr;
    char order = '=';
    if (!d.empty() && (d[0] == '<' || d[0] == '>' || d[0] == '=' || d[0] == '|')) {
      order = d[0];
      d.remove_prefix(1);
    }
    struct Known {
      std::string_view code;
      sf_dtype dtype;
      size_t size;
    };
    static constexpr Known known[] = {
        {"f4", SF_DTYPE_F32, 4}, {"f2", SF_DTYPE_F16, 2}, {"i4", SF_DTYPE_I32, 4}, {"i8", SF_DTYPE_I64, 8},
        {"u1", SF_DTYPE_U8, 1},  {"i1", SF_DTYPE_I8, 1},  {"b1", SF_DTYPE_U8, 1}};
    for (const Known& k : known) {
      if (d != k.code) continue;
      if (order == '|' && k.size > 1) break;  // '|' (not applicable) is only valid for one-byte types
      h.dtype = k.dtype;
      h.item_size = k.size;
      bool big = order == '>' || (order == '=' && std::endian::native == std::endian::big);
      h.swap_bytes = k.size > 1 && big != (std::endian::native == std::endian::big);
      return;
    }
    pos_ = at;
    std::string hint = d == "f8" ? " (float64: save it as float32 with arr.astype(np.float32))"
                                 : " (convert it with arr.astype(...) to one of these)";
    fail("unsupported dtype '" + h.descr + "'; supported: <f4 <f2 <i4 <i8 |u1 |i1 |b1" + hint);
  }

  std::string_view text_;
  uint64_t base_;
  size_t pos_ = 0;
};

void swap_in_place(unsigned char* p, uint64_t count, size_t item) {
  for (uint64_t i = 0; i < count; ++i, p += item) std::reverse(p, p + item);
}

}  // namespace

uint64_t npy_header_length(std::string_view head) {
  size_t pre = preamble_length(head);
  if (head.size() < pre) fail_at(head.size(), "header is truncated: the file ends inside the preamble");
  uint32_t len = pre == 10 ? read_le(head, 8, 2) : read_le(head, 8, 4);
  return pre + static_cast<uint64_t>(len);
}

NpyHeader parse_npy_header(std::string_view bytes) {
  uint64_t total = npy_header_length(bytes);
  if (bytes.size() < total)
    fail_at(bytes.size(), "header is truncated: it needs " + std::to_string(total) + " bytes, the file has " +
                              std::to_string(bytes.size()));
  size_t pre = preamble_length(bytes);
  NpyHeader h = DictParser(bytes.substr(pre, total - pre), pre).parse();
  h.data_offset = total;
  h.numel = 1;
  for (int64_t d : h.shape)
    if (__builtin_mul_overflow(h.numel, static_cast<uint64_t>(d), &h.numel))
      fail_at(pre, "shape " + shape_repr(h.shape) + " is too large");
  uint64_t bytes_needed;
  if (__builtin_mul_overflow(h.numel, static_cast<uint64_t>(h.item_size), &bytes_needed))
    fail_at(pre, "shape " + shape_repr(h.shape) + " is too large");
  return h;
}

std::string shape_repr(std::span<const int64_t> shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

std::string make_npy_header(sf_dtype dtype, std::span<const int64_t> shape) {
  const char* descr;
  switch (dtype) {
    case SF_DTYPE_F32: descr = "<f4"; break;
    case SF_DTYPE_F16: descr = "<f2"; break;
    case SF_DTYPE_I64: descr = "<i8"; break;
    case SF_DTYPE_I32: descr = "<i4"; break;
    case SF_DTYPE_U8: descr = "|u1"; break;
    case SF_DTYPE_I8: descr = "|i1"; break;
    default: throw Error(std::string("dtype ") + dtype_name(dtype) + " has no .npy equivalent");
  }
  std::string dict =
      std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " + shape_repr(shape) + ", }";
  // numpy leaves room for the first axis to grow to 21 digits in place.
  if (!shape.empty()) dict.append(21 - std::to_string(shape[0]).size(), ' ');
  size_t hlen = dict.size() + 1;  // + '\n'
  size_t pad = 64 - (kMagicLen + 2 + 2 + hlen) % 64;
  size_t total = hlen + pad;
  if (total > 0xffff) throw Error("npy header is too long for format 1.0");
  std::string out(kMagic, kMagicLen);
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(total & 0xff);
  out += static_cast<char>(total >> 8);
  out += dict;
  out.append(pad, ' ');
  out += '\n';
  return out;
}

void npy_to_c_order(const NpyHeader& h, void* src, void* dst) {
  auto* s = static_cast<unsigned char*>(src);
  auto* d = static_cast<unsigned char*>(dst);
  const size_t item = h.item_size;
  if (h.swap_bytes) swap_in_place(s, h.numel, item);
  if (!h.fortran_order || h.shape.size() < 2) {
    if (s != d) std::memcpy(d, s, h.data_bytes());
    return;
  }
  // Walk the C-order output; a Fortran-order element (i0..ik) sits at sum(i_j * prod(shape[<j])).
  const size_t rank = h.shape.size();
  std::vector<uint64_t> fstride(rank);
  uint64_t stride = 1;
  for (size_t j = 0; j < rank; ++j) {
    fstride[j] = stride;
    stride *= static_cast<uint64_t>(h.shape[j]);
  }
  std::vector<int64_t> idx(rank, 0);
  uint64_t src_index = 0;
  for (uint64_t n = 0; n < h.numel; ++n) {
    std::memcpy(d + n * item, s + src_index * item, item);
    for (size_t j = rank; j-- > 0;) {
      if (++idx[j] < h.shape[j]) {
        src_index += fstride[j];
        break;
      }
      src_index -= fstride[j] * static_cast<uint64_t>(h.shape[j] - 1);
      idx[j] = 0;
    }
  }
}

NpyFileReader::NpyFileReader(std::string path) : path_(std::move(path)) {
  file_ = std::fopen(path_.c_str(), "rb");
  if (file_ == nullptr) throw Error("cannot open '" + path_ + "': " + std::strerror(errno), SF_ERR_IO);
  try {
    struct stat st {};
    if (::fstat(::fileno(file_), &st) != 0 || !S_ISREG(st.st_mode))
      throw Error("'" + path_ + "' is not a regular file", SF_ERR_IO);
    const uint64_t size = static_cast<uint64_t>(st.st_size);
    std::string head(std::min<uint64_t>(size, 12), '\0');
    if (std::fread(head.data(), 1, head.size(), file_) != head.size())
      throw Error("cannot read '" + path_ + "': " + std::strerror(errno), SF_ERR_IO);
    uint64_t total = npy_header_length(head);
    if (size < total)
      fail_at(size, "header is truncated: it needs " + std::to_string(total) + " bytes, the file has " +
                        std::to_string(size));
    // A header length field of 0 or 1 makes `total` smaller than the 12 bytes already read: read only
    // what is missing (parse_npy_header then refuses the empty dictionary).
    const size_t have = head.size();
    head.resize(total);
    if (total > have && std::fread(head.data() + have, 1, total - have, file_) != total - have)
      throw Error("cannot read '" + path_ + "': " + std::strerror(errno), SF_ERR_IO);
    header_ = parse_npy_header(head);
    const uint64_t need = header_.data_bytes();
    const uint64_t after = size - total;
    if (after < need)
      fail_at(size, "data is truncated: shape " + shape_repr(header_.shape) + " of '" + header_.descr +
                        "' needs " + std::to_string(need) + " bytes after the header, the file has " +
                        std::to_string(after));
    if (after > need)
      fail_at(total + need, std::to_string(after - need) + " unexpected bytes after the array data");
  } catch (const Error& e) {
    std::fclose(file_);
    file_ = nullptr;
    if (e.code() == SF_ERR_IO) throw;
    throw Error(path_ + ": " + e.what(), e.code());
  }
}

NpyFileReader::~NpyFileReader() {
  if (file_ != nullptr) std::fclose(file_);
}

void NpyFileReader::read_data(void* dst) {
  const uint64_t n = header_.data_bytes();
  std::vector<unsigned char> staging;
  void* target = dst;
  if (header_.fortran_order && header_.shape.size() >= 2) {
    staging.resize(n);
    target = staging.data();
  }
  if (n != 0 && std::fread(target, 1, n, file_) != n)
    throw Error("cannot read '" + path_ + "': " + (std::ferror(file_) ? std::strerror(errno) : "file shrank"),
                SF_ERR_IO);
  npy_to_c_order(header_, target, dst);
}

}  // namespace seqflow::io
