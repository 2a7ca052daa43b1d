#include "io/json_fields.hpp"

#include "io/text_format.hpp"

#include <seqflow/half.hpp>
#include <seqflow/sdk.hpp>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>
#include <limits>

namespace seqflow::io {
namespace {

using nlohmann::json;

std::string index_path(const std::vector<size_t>& idx) {
  std::string s;
  for (size_t i : idx) s += "[" + std::to_string(i) + "]";
  return s.empty() ? "the value" : "element " + s;
}

std::string number_text(const json& v) { return v.dump(); }

void check_element(const json& v, sf_dtype dtype, const std::vector<size_t>& idx) {
  if (v.is_array())
    throw Error("ragged array: " + index_path(idx) + " is an array where a number was expected");
  if (!v.is_number()) throw Error(index_path(idx) + " is " + json_type_name(v) + ", expected a number");
  int64_t lo, hi;
  if (dtype_integer_range(dtype, lo, hi)) {
    if (v.is_number_float())
      throw Error(index_path(idx) + " = " + number_text(v) + " is not an integer (dtype " +
                  dtype_name(dtype) + ")");
    bool in_range = v.is_number_unsigned() ? v.get<uint64_t>() <= static_cast<uint64_t>(hi)
                                           : v.get<int64_t>() >= lo && v.get<int64_t>() <= hi;
    if (!in_range)
      throw Error(index_path(idx) + " = " + number_text(v) + " is out of range for " + dtype_name(dtype));
  } else if (std::fabs(v.get<double>()) >= dtype_overflow_threshold(dtype)) {
    throw Error(index_path(idx) + " = " + number_text(v) + " is out of range for " + dtype_name(dtype));
  }
}

void check_level(const json& v, sf_dtype dtype, const std::vector<int64_t>& shape, std::vector<size_t>& idx) {
  size_t depth = idx.size();
  if (depth == shape.size()) {
    check_element(v, dtype, idx);
    return;
  }
  if (!v.is_array())
    throw Error("ragged array: " + index_path(idx) + " is " + json_type_name(v) + ", expected an array of " +
                std::to_string(shape[depth]) + " elements");
  if (static_cast<int64_t>(v.size()) != shape[depth])
    throw Error("ragged array: " + index_path(idx) + " has " + std::to_string(v.size()) +
                " elements, expected " + std::to_string(shape[depth]) + " like the first one at its level");
  idx.push_back(0);
  for (const json& item : v) {
    check_level(item, dtype, shape, idx);
    ++idx.back();
  }
  idx.pop_back();
}

template <class T>
T* fill_ints(const json& v, T* dst) {
  if (v.is_array()) {
    for (const json& item : v) dst = fill_ints(item, dst);
    return dst;
  }
  *dst = static_cast<T>(v.is_number_unsigned() ? static_cast<int64_t>(v.get<uint64_t>()) : v.get<int64_t>());
  return dst + 1;
}

template <class T, class Convert>
T* fill_floats(const json& v, T* dst, Convert convert) {
  if (v.is_array()) {
    for (const json& item : v) dst = fill_floats(item, dst, convert);
    return dst;
  }
  *dst = convert(static_cast<float>(v.get<double>()));
  return dst + 1;
}

void append_element(std::string& out, sf_dtype dtype, const unsigned char* p, size_t flat_index) {
  float f;
  switch (dtype) {
    case SF_DTYPE_I64: {
      int64_t x;
      std::memcpy(&x, p, 8);
      append_int(out, x);
      return;
    }
    case SF_DTYPE_I32: {
      int32_t x;
      std::memcpy(&x, p, 4);
      append_int(out, x);
      return;
    }
    case SF_DTYPE_U8: append_int(out, *p); return;
    case SF_DTYPE_I8: append_int(out, static_cast<int8_t>(*p)); return;
    case SF_DTYPE_F32: std::memcpy(&f, p, 4); break;
    case SF_DTYPE_F16: {
      uint16_t h;
      std::memcpy(&h, p, 2);
      f = f16_to_float(h);
      break;
    }
    case SF_DTYPE_BF16: {
      uint16_t h;
      std::memcpy(&h, p, 2);
      f = bf16_to_float(h);
      break;
    }
    default: throw Error("tensor has an unknown dtype");
  }
  if (!std::isfinite(f))
    throw Error("tensor element " + std::to_string(flat_index) + " is " +
                (std::isnan(f) ? "NaN" : "infinite") + ", which JSON cannot represent");
  append_float32(out, f);
}

void append_level(std::string& out, sf_dtype dtype, std::span<const int64_t> shape, size_t depth,
                  const unsigned char*& p, size_t& flat_index) {
  if (depth == shape.size()) {
    append_element(out, dtype, p, flat_index++);
    p += dtype_size(dtype);
    return;
  }
  out += '[';
  for (int64_t i = 0; i < shape[depth]; ++i) {
    if (i > 0) out += ',';
    append_level(out, dtype, shape, depth + 1, p, flat_index);
  }
  out += ']';
}

constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Length of the valid UTF-8 sequence at s[i], or 0 when it is invalid (overlong, surrogate, > U+10FFFF).
size_t utf8_sequence(std::string_view s, size_t i) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  size_t n;
  unsigned char lo = 0x80, hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) n = 2;
  else if (c >= 0xe0 && c <= 0xef) n = 3, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
  else if (c >= 0xf0 && c <= 0xf4) n = 4, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
  else return 0;
  if (i + n > s.size()) return 0;
  if (b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k)
    if (b(i + k) < 0x80 || b(i + k) > 0xbf) return 0;
  return n;
}

}  // namespace

// Smallest magnitude that rounds to infinity in each float dtype (half an ulp above the largest finite).
double dtype_overflow_threshold(sf_dtype dtype) {
  switch (dtype) {
    case SF_DTYPE_F16: return 65520.0;
    case SF_DTYPE_BF16: return 0x1.ffp+127;
    default: return 0x1.ffffffp+127;
  }
}

bool dtype_integer_range(sf_dtype dtype, int64_t& lo, int64_t& hi) {
  switch (dtype) {
    case SF_DTYPE_I64:
      lo = std::numeric_limits<int64_t>::min();
      hi = std::numeric_limits<int64_t>::max();
      return true;
    case SF_DTYPE_I32:
      lo = std::numeric_limits<int32_t>::min();
      hi = std::numeric_limits<int32_t>::max();
      return true;
    case SF_DTYPE_U8:
      lo = 0;
      hi = 255;
      return true;
    case SF_DTYPE_I8:
      lo = -128;
      hi = 127;
      return true;
    default: return false;
  }
}

bool parse_dtype(std::string_view name, sf_dtype& out) {
  static constexpr sf_dtype all[] = {SF_DTYPE_F32, SF_DTYPE_BF16, SF_DTYPE_F16, SF_DTYPE_I64,
                                     SF_DTYPE_I32, SF_DTYPE_U8,   SF_DTYPE_I8};
  for (sf_dtype d : all)
    if (name == dtype_name(d)) {
      out = d;
      return true;
    }
  return false;
}

FieldKind parse_field_kind(std::string_view spec) {
  if (spec == "string") return {SF_FIELD_STRING};
  if (spec == "bytes") return {SF_FIELD_BYTES};
  if (spec == "int") return {SF_FIELD_INT};
  if (spec == "float") return {SF_FIELD_FLOAT};
  if (spec.starts_with("tensor:")) {
    FieldKind k{SF_FIELD_TENSOR};
    if (parse_dtype(spec.substr(7), k.dtype)) return k;
    throw Error("unknown tensor dtype in '" + std::string(spec) + "': use one of f32 bf16 f16 i64 i32 u8 i8");
  }
  if (spec == "tensor")
    throw Error("type 'tensor' needs a dtype here: write it as \"tensor:f32\" (or i64, ...)");
  throw Error("unknown field type '" + std::string(spec) +
              "': use string, bytes, int, float or tensor:<dtype> (f32 bf16 f16 i64 i32 u8 i8)");
}

std::string field_kind_name(FieldKind kind) {
  switch (kind.type) {
    case SF_FIELD_STRING: return "string";
    case SF_FIELD_BYTES: return "bytes";
    case SF_FIELD_INT: return "int";
    case SF_FIELD_FLOAT: return "float";
    case SF_FIELD_TENSOR: return std::string("tensor:") + dtype_name(kind.dtype);
    default: return "any";
  }
}

const char* json_type_name(const json& v) {
  switch (v.type()) {
    case json::value_t::string: return "string";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "integer";
    case json::value_t::number_float: return "float";
    case json::value_t::boolean: return "boolean";
    case json::value_t::null: return "null";
    case json::value_t::array: return "array";
    case json::value_t::object: return "object";
    default: return "binary";
  }
}

std::vector<int64_t> check_json_tensor(const json& v, sf_dtype dtype) {
  std::vector<int64_t> shape;
  for (const json* node = &v; node->is_array(); node = &node->front()) {
    if (shape.size() == SF_MAX_DIMS)
      throw Error("arrays are nested deeper than " + std::to_string(SF_MAX_DIMS) +
                  " levels (a tensor has at most that many dimensions)");
    shape.push_back(static_cast<int64_t>(node->size()));
    if (node->empty()) break;
  }
  std::vector<size_t> idx;
  check_level(v, dtype, shape, idx);
  return shape;
}

void fill_json_tensor(const json& v, sf_dtype dtype, void* dst) {
  switch (dtype) {
    case SF_DTYPE_I64: fill_ints(v, static_cast<int64_t*>(dst)); return;
    case SF_DTYPE_I32: fill_ints(v, static_cast<int32_t*>(dst)); return;
    case SF_DTYPE_U8: fill_ints(v, static_cast<uint8_t*>(dst)); return;
    case SF_DTYPE_I8: fill_ints(v, static_cast<int8_t*>(dst)); return;
    case SF_DTYPE_F32: fill_floats(v, static_cast<float*>(dst), [](float f) { return f; }); return;
    case SF_DTYPE_F16: fill_floats(v, static_cast<uint16_t*>(dst), float_to_f16); return;
    case SF_DTYPE_BF16: fill_floats(v, static_cast<uint16_t*>(dst), float_to_bf16); return;
    default: throw Error("tensor has an unknown dtype");
  }
}

std::string base64_encode(std::string_view data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  auto byte = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(data[k])); };
  for (; i + 3 <= data.size(); i += 3) {
    uint32_t n = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    out += kBase64[n >> 18];
    out += kBase64[(n >> 12) & 63];
    out += kBase64[(n >> 6) & 63];
    out += kBase64[n & 63];
  }
  size_t rest = data.size() - i;
  if (rest > 0) {
    uint32_t n = byte(i) << 16 | (rest == 2 ? byte(i + 1) << 8 : 0);
    out += kBase64[n >> 18];
    out += kBase64[(n >> 12) & 63];
    out += rest == 2 ? kBase64[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string base64_decode(std::string_view text) {
  std::string out;
  base64_decode(text, out);
  return out;
}

void base64_decode(std::string_view text, std::string& out) {
  if (text.size() % 4 != 0)
    throw Error("invalid base64: length " + std::to_string(text.size()) + " is not a multiple of 4");
  out.clear();
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    bool last = i + 4 == text.size();
    int pad = last && text[i + 3] == '=' ? (text[i + 2] == '=' ? 2 : 1) : 0;
    uint32_t n = 0;
    for (int k = 0; k < 4; ++k) {
      int v = k >= 4 - pad ? 0 : base64_value(text[i + k]);
      if (v < 0)
        throw Error("invalid base64: character " + std::to_string(i + k + 1) +
                    " is not in the base64 alphabet");
      n = n << 6 | static_cast<uint32_t>(v);
    }
    out += static_cast<char>(n >> 16);
    if (pad < 2) out += static_cast<char>((n >> 8) & 0xff);
    if (pad < 1) out += static_cast<char>(n & 0xff);
  }
}

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  size_t run = 0;  // start of the pending run of bytes copied as they are
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      size_t n = utf8_sequence(s, i);
      if (n == 0)
        throw Error("text is not valid UTF-8 at byte " + std::to_string(i) +
                    " (binary data belongs in a bytes field, written as base64)");
      i += n;
      continue;
    }
    if (c >= 0x20 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    out.append(s.data() + run, i - run);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        out += "\\u00";
        out += hex[c >> 4];
        out += hex[c & 15];
    }
    run = ++i;
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

void append_json_double(std::string& out, double v) {
  if (!std::isfinite(v))
    throw Error(std::string("value is ") + (std::isnan(v) ? "NaN" : "infinite") +
                ", which JSON cannot represent");
  append_double(out, v);
}

void append_json_tensor(std::string& out, sf_dtype dtype, std::span<const int64_t> shape, const void* data) {
  const unsigned char* p = static_cast<const unsigned char*>(data);
  size_t flat_index = 0;
  append_level(out, dtype, shape, 0, p, flat_index);
}

}  // namespace seqflow::io
