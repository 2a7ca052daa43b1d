#include "onednn/safetensors.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>

#include <nlohmann/json.hpp>
#include <seqflow/half.hpp>

namespace seqflow::onednn {
namespace {

constexpr uint64_t kMaxHeader = 100u * 1024u * 1024u;  // the format's own limit

struct DtypeInfo {
  const char* name;
  StDtype dtype;
  size_t size;
};
constexpr DtypeInfo kDtypes[] = {
    {"F64", StDtype::kF64, 8},        {"F32", StDtype::kF32, 4},        {"F16", StDtype::kF16, 2},
    {"BF16", StDtype::kBF16, 2},      {"I64", StDtype::kI64, 8},        {"I32", StDtype::kI32, 4},
    {"I16", StDtype::kI16, 2},        {"I8", StDtype::kI8, 1},          {"U64", StDtype::kU64, 8},
    {"U32", StDtype::kU32, 4},        {"U16", StDtype::kU16, 2},        {"U8", StDtype::kU8, 1},
    {"BOOL", StDtype::kBool, 1},      {"F8_E5M2", StDtype::kF8E5M2, 1}, {"F8_E4M3", StDtype::kF8E4M3, 1},
    {"F8_E8M0", StDtype::kF8E8M0, 1},
};

std::string sq(std::string_view s) {
  std::string q(1, '\'');
  q += s;
  q += '\'';
  return q;
}

}  // namespace

const char* st_dtype_name(StDtype d) {
  for (const DtypeInfo& i : kDtypes)
    if (i.dtype == d) return i.name;
  return "?";
}

size_t st_dtype_size(StDtype d) {
  for (const DtypeInfo& i : kDtypes)
    if (i.dtype == d) return i.size;
  return 0;
}

int64_t StTensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string shape_str(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

std::shared_ptr<const SafetensorsFile> SafetensorsFile::open(const std::string& path) {
  std::shared_ptr<SafetensorsFile> f(new SafetensorsFile());
  f->label_ = path;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw WeightsError(path + ": cannot open weights file: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw WeightsError(path + ": not a regular file");
  }
  f->map_size_ = static_cast<size_t>(st.st_size);
  if (f->map_size_ > 0) {
    void* m = ::mmap(nullptr, f->map_size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
      int e = errno;
      ::close(fd);
      throw WeightsError(path + ": cannot map weights file: " + std::strerror(e));
    }
    f->map_ = m;
    f->base_ = static_cast<const std::byte*>(m);
  }
  ::close(fd);
  f->size_ = f->map_size_;
  f->parse();
  return f;
}

std::shared_ptr<const SafetensorsFile> SafetensorsFile::from_bytes(std::string bytes,
                                                                   const std::string& label) {
  std::shared_ptr<SafetensorsFile> f(new SafetensorsFile());
  f->label_ = label;
  f->owned_ = std::move(bytes);
  f->base_ = reinterpret_cast<const std::byte*>(f->owned_.data());
  f->size_ = f->owned_.size();
  f->parse();
  return f;
}

SafetensorsFile::~SafetensorsFile() {
  if (map_ != nullptr) ::munmap(map_, map_size_);
}

void SafetensorsFile::parse() {
  auto fail = [&](const std::string& what) -> WeightsError {
    return WeightsError(label_ + ": " + what +
                        " (is this a .safetensors file written by safetensors.torch.save_file?)");
  };
  if (size_ < 8)
    throw fail("file is " + std::to_string(size_) + " bytes, shorter than the 8-byte header length");
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = n << 8 | static_cast<uint8_t>(base_[i]);
  if (n > kMaxHeader) throw fail("header length " + std::to_string(n) + " exceeds the format's 100 MB limit");
  if (n > size_ - 8)
    throw fail("header length " + std::to_string(n) + " runs past the end of the file (" +
               std::to_string(size_) + " bytes)");
  std::string_view text(reinterpret_cast<const char*>(base_ + 8), n);
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    // parse_error, and out_of_range for a number too large for a double (found by fuzz_safetensors):
    // either way the header cannot be read.
    throw fail(std::string("header is not valid JSON: ") + e.what());
  }
  if (!header.is_object()) throw fail("header is not a JSON object");
  const std::byte* data = base_ + 8 + n;
  const uint64_t data_size = size_ - 8 - n;

  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& name = it.key();
    const nlohmann::json& e = it.value();
    if (name == "__metadata__") {
      if (!e.is_object()) throw fail("__metadata__ is not a JSON object");
      for (auto m = e.begin(); m != e.end(); ++m) {
        if (!m.value().is_string()) throw fail("__metadata__ value " + sq(m.key()) + " is not a string");
        metadata_[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    std::string where = "tensor " + sq(name) + ": ";
    if (!e.is_object()) throw fail(where + "entry is not a JSON object");
    auto dt = e.find("dtype");
    auto sh = e.find("shape");
    auto off = e.find("data_offsets");
    if (dt == e.end() || !dt->is_string()) throw fail(where + "missing string 'dtype'");
    if (sh == e.end() || !sh->is_array()) throw fail(where + "missing array 'shape'");
    if (off == e.end() || !off->is_array() || off->size() != 2)
      throw fail(where + "missing 'data_offsets' [begin, end]");
    StTensor t;
    t.name = name;
    std::string dname = dt->get<std::string>();
    const DtypeInfo* info = nullptr;
    for (const DtypeInfo& i : kDtypes)
      if (dname == i.name) info = &i;
    if (info == nullptr) throw fail(where + "unknown dtype " + sq(dname));
    t.dtype = info->dtype;
    // numel * item size must not overflow; every dim is checked before it is multiplied in.
    uint64_t bytes = info->size;
    for (const nlohmann::json& d : *sh) {
      if (!d.is_number_integer() || d.get<int64_t>() < 0)
        throw fail(where + "shape has a dim that is not a non-negative integer");
      uint64_t v = d.get<uint64_t>();
      if (v != 0 && bytes > std::numeric_limits<uint64_t>::max() / v)
        throw fail(where + "shape's byte size overflows");
      bytes *= v;
      t.shape.push_back(static_cast<int64_t>(v));
    }
    if (t.shape.size() > 8) throw fail(where + "more than 8 dims");
    for (const nlohmann::json& o : *off)
      if (!o.is_number_integer() || o.get<int64_t>() < 0)
        throw fail(where + "data_offsets are not non-negative integers");
    uint64_t begin = (*off)[0].get<uint64_t>(), end = (*off)[1].get<uint64_t>();
    std::string range = "data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) + ")";
    if (begin > end) throw fail(where + range + " has begin after end");
    if (end > data_size)
      throw fail(where + range + " end past the data section (" + std::to_string(data_size) +
                 " bytes): the file is truncated or corrupt");
    if (end - begin != bytes)
      throw fail(where + range + " holds " + std::to_string(end - begin) + " bytes, but " + dname + " " +
                 shape_str(t.shape) + " needs " + std::to_string(bytes));
    t.data = data + begin;
    t.nbytes = static_cast<size_t>(bytes);
    tensors_.push_back(std::move(t));
  }
  // Overlapping entries would alias one another's weights: the format forbids it.
  std::vector<const StTensor*> by_offset;
  for (const StTensor& t : tensors_) by_offset.push_back(&t);
  std::sort(by_offset.begin(), by_offset.end(),
            [](const StTensor* a, const StTensor* b) { return a->data < b->data; });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    const StTensor* a = by_offset[i - 1];
    const StTensor* b = by_offset[i];
    if (a->nbytes > 0 && b->nbytes > 0 && a->data + a->nbytes > b->data)
      throw fail("tensors " + sq(a->name) + " and " + sq(b->name) + " overlap in the data section");
  }
  std::sort(tensors_.begin(), tensors_.end(),
            [](const StTensor& a, const StTensor& b) { return a.name < b.name; });
}

const StTensor* SafetensorsFile::find(std::string_view name) const {
  auto it = std::lower_bound(tensors_.begin(), tensors_.end(), name,
                             [](const StTensor& t, std::string_view n) { return t.name < n; });
  return it != tensors_.end() && it->name == name ? &*it : nullptr;
}

std::vector<float> SafetensorsFile::to_f32(const StTensor& t) const {
  size_t n = static_cast<size_t>(t.numel());
  std::vector<float> out(n);
  const std::byte* p = t.data;
  switch (t.dtype) {
    case StDtype::kF32: std::memcpy(out.data(), p, n * 4); break;
    case StDtype::kF64:
      for (size_t i = 0; i < n; ++i) {
        double d;
        std::memcpy(&d, p + i * 8, 8);
        out[i] = static_cast<float>(d);
      }
      break;
    case StDtype::kF16:
      for (size_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, p + i * 2, 2);
        out[i] = f16_to_float(h);
      }
      break;
    case StDtype::kBF16:
      for (size_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, p + i * 2, 2);
        out[i] = bf16_to_float(h);
      }
      break;
    default:
      throw WeightsError(label_ + ": tensor " + sq(t.name) + " has dtype " + st_dtype_name(t.dtype) +
                         "; weights must be F32, F16, BF16 or F64");
  }
  return out;
}

}  // namespace seqflow::onednn
