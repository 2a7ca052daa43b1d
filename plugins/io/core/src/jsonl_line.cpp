#include "io/jsonl_line.hpp"

#include <seqflow/half.hpp>
#include <seqflow/sdk.hpp>

#include <simdjson.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

namespace seqflow::io {
namespace {

using nlohmann::json;
using simdjson::dom::element;
using simdjson::dom::element_type;

// nlohmann's message is "[json.exception.parse_error.101] parse error at line 1, column 9: REASON".
std::string parse_reason(const json::parse_error& e) {
  std::string_view what = e.what();
  size_t col = what.find("column ");
  size_t colon = col == std::string_view::npos ? col : what.find(": ", col);
  return std::string(colon == std::string_view::npos ? what : what.substr(colon + 2));
}

const char* article_type(FieldKind kind) {
  switch (kind.type) {
    case SF_FIELD_STRING: return "a string";
    case SF_FIELD_BYTES: return "a base64 string";
    case SF_FIELD_INT: return "an integer";
    case SF_FIELD_FLOAT: return "a number";
    default: return "an array of numbers";
  }
}

// simdjson tape helpers. Callers check element types first, so value_unsafe() never sees an error.

// The tape stores an array's length saturated at 2^24 - 1; an array that long needs more than 32 MiB of
// text, so within the fast path's line limit the stored length is exact.
static_assert(JsonlLineParser::kFastLineLimit < 2 * size_t{0xFFFFFF});

// A JSON number as nlohmann's get<double>() gives it: integers converted, floats as parsed.
inline bool number_value(element e, double& out) { return e.get_double().get(out) == simdjson::SUCCESS; }

// The shape from the first element at each level, as check_json_tensor finds it.
bool tensor_shape(element v, std::vector<int64_t>& shape) {
  shape.clear();
  for (element node = v; node.type() == element_type::ARRAY;) {
    if (shape.size() == SF_MAX_DIMS) return false;
    simdjson::dom::array a = node.get_array().value_unsafe();
    size_t n = a.size();
    shape.push_back(static_cast<int64_t>(n));
    if (n == 0) break;
    node = *a.begin();
  }
  return true;
}

// Every array at depth d has shape[d] items and every leaf passes `leaf`. The innermost arrays, where
// nearly all the elements are, run the leaf check in a flat loop.
template <class Leaf>
bool tensor_ok(element v, std::span<const int64_t> shape, const Leaf& leaf) {
  if (shape.empty()) return leaf(v);
  if (v.type() != element_type::ARRAY) return false;
  simdjson::dom::array a = v.get_array().value_unsafe();
  if (static_cast<int64_t>(a.size()) != shape[0]) return false;
  if (shape.size() == 1) {
    for (element item : a)
      if (!leaf(item)) return false;
    return true;
  }
  for (element item : a)
    if (!tensor_ok(item, shape.subspan(1), leaf)) return false;
  return true;
}

// Writes the leaves of an array that tensor_ok accepted, row-major.
template <class T, class Convert>
T* fill_leaves(element v, T* dst, const Convert& convert) {
  if (v.type() != element_type::ARRAY) {
    *dst = convert(v);
    return dst + 1;
  }
  simdjson::dom::array a = v.get_array().value_unsafe();
  for (element item : a) {
    if (item.type() == element_type::ARRAY) {
      dst = fill_leaves(item, dst, convert);
    } else {
      *dst++ = convert(item);
    }
  }
  return dst;
}

template <class T>
void fill_ints(element v, void* dst) {
  fill_leaves(v, static_cast<T*>(dst),
              [](element e) { return static_cast<T>(e.get_int64().value_unsafe()); });
}

template <class T, class Convert>
void fill_floats(element v, void* dst, Convert convert) {
  fill_leaves(v, static_cast<T*>(dst), [convert](element e) {
    double d = 0;
    number_value(e, d);
    return convert(static_cast<float>(d));
  });
}

}  // namespace

struct JsonlLineParser::Impl {
  struct Value {
    std::string_view text;
    int64_t integer = 0;
    double real = 0;
    std::vector<int64_t> shape;
    std::string decoded;              // bytes columns
    element node;                     // fast path
    const json* json_node = nullptr;  // checked path
    bool found = false;
  };

  std::vector<JsonlColumn> columns;
  std::string id_field;
  std::vector<Value> values;
  bool fast = false;
  bool has_id = false;
  std::string_view id;
  std::string id_text;  // an integer id's digits
  std::string error;
  std::optional<size_t> error_byte;

  // Fast path state: the line's padded copy and simdjson's parser and document, sized together.
  simdjson::dom::parser parser;
  simdjson::dom::document dom;
  std::unique_ptr<char[]> padded;
  size_t capacity = 0;

  // Checked path state.
  json doc;

  bool reserve(size_t size) {
    // Not `size <= capacity` alone: an empty first line would then copy into, and pad, no buffer at
    // all (found by fuzz_jsonl; io.jsonl_read skips blank lines, other callers need not).
    if (padded != nullptr && size <= capacity) return true;
    // Grow geometrically so that slowly lengthening lines do not reallocate each time.
    size_t want = std::max({size, std::min(capacity * 2, kFastLineLimit), size_t{64} << 10});
    capacity = 0;
    padded.reset(new char[want + simdjson::SIMDJSON_PADDING]);
    if (dom.allocate(want) != simdjson::SUCCESS || parser.allocate(want) != simdjson::SUCCESS) return false;
    capacity = want;
    return true;
  }

  bool parse_fast(std::string_view line) {
    fast = false;
    if (line.size() > kFastLineLimit || !reserve(line.size())) return false;
    std::memcpy(padded.get(), line.data(), line.size());
    std::memset(padded.get() + line.size(), 0, simdjson::SIMDJSON_PADDING);
    element root;
    if (parser.parse_into_document(dom, padded.get(), line.size(), false).get(root) != simdjson::SUCCESS)
      return false;
    if (root.type() != element_type::OBJECT) return false;
    for (Value& v : values) v.found = false;
    element id_node;
    bool id_found = false;
    simdjson::dom::object object = root.get_object().value_unsafe();
    for (simdjson::dom::key_value_pair kv : object) {
      // Later duplicates overwrite earlier ones: the last occurrence wins, as in the checked path.
      for (size_t c = 0; c < columns.size(); ++c)
        if (kv.key == columns[c].name) {
          values[c].node = kv.value;
          values[c].found = true;
        }
      if (kv.key == id_field) {
        id_node = kv.value;
        id_found = true;
      }
    }
    for (size_t c = 0; c < columns.size(); ++c)
      if (!values[c].found || !convert_fast(columns[c].kind, values[c])) return false;
    has_id = id_found;
    if (id_found) {
      switch (id_node.type()) {
        case element_type::STRING: id = id_node.get_string().value_unsafe(); break;
        case element_type::INT64: set_id_number(id_node.get_int64().value_unsafe()); break;
        case element_type::UINT64: set_id_number(id_node.get_uint64().value_unsafe()); break;
        default: return false;
      }
    }
    fast = true;
    return true;
  }

  template <class T>
  void set_id_number(T n) {
    char digits[24];
    auto res = std::to_chars(digits, digits + sizeof digits, n);
    id_text.assign(digits, res.ptr);
    id = id_text;
  }

  static bool convert_fast(FieldKind kind, Value& out) {
    element v = out.node;
    switch (kind.type) {
      case SF_FIELD_STRING:
        if (v.type() != element_type::STRING) return false;
        out.text = v.get_string().value_unsafe();
        return true;
      case SF_FIELD_BYTES:
        if (v.type() != element_type::STRING) return false;
        try {
          base64_decode(v.get_string().value_unsafe(), out.decoded);
        } catch (const Error&) {
          return false;  // the checked path words the error
        }
        out.text = out.decoded;
        return true;
      case SF_FIELD_INT:
        // UINT64 (above INT64_MAX) is out of range for int: the checked path says so.
        if (v.type() != element_type::INT64) return false;
        out.integer = v.get_int64().value_unsafe();
        return true;
      case SF_FIELD_FLOAT: return number_value(v, out.real);
      default: {
        if (!tensor_shape(v, out.shape)) return false;
        int64_t lo, hi;
        if (dtype_integer_range(kind.dtype, lo, hi))
          return tensor_ok(v, out.shape, [lo, hi](element e) {
            if (e.type() != element_type::INT64) return false;
            int64_t x = e.get_int64().value_unsafe();
            return x >= lo && x <= hi;
          });
        double limit = dtype_overflow_threshold(kind.dtype);
        return tensor_ok(v, out.shape, [limit](element e) {
          double d;
          return number_value(e, d) && std::fabs(d) < limit;
        });
      }
    }
  }

  bool fail(std::string message, std::optional<size_t> byte = std::nullopt) {
    error = std::move(message);
    error_byte = byte;
    return false;
  }

  // The reference rules and messages; the fast path must agree with every value accepted here.
  bool parse_checked(std::string_view line) {
    fast = false;
    try {
      doc = json::parse(line.begin(), line.end());
    } catch (const json::parse_error& e) {
      return fail("invalid JSON: " + parse_reason(e), e.byte);
    } catch (const json::exception& e) {
      // A number beyond the double range, e.g. 1e400 (out_of_range.406): no position, but the text.
      std::string_view what = e.what();
      size_t tag = what.find("] ");
      return fail("invalid JSON: " +
                  std::string(tag == std::string_view::npos ? what : what.substr(tag + 2)));
    }
    if (!doc.is_object())
      return fail(std::string("the line is a JSON ") + json_type_name(doc) + ", expected an object");
    // Check everything first: a bad line must not leave a half-made record behind.
    for (size_t c = 0; c < columns.size(); ++c) {
      const JsonlColumn& col = columns[c];
      Value& out = values[c];
      auto it = doc.find(col.name);
      if (it == doc.end()) return fail("field '" + col.name + "' is missing");
      const json& v = *it;
      out.json_node = &v;
      std::string problem;
      bool type_ok = true;
      switch (col.kind.type) {
        case SF_FIELD_STRING:
          type_ok = v.is_string();
          if (type_ok) out.text = v.get_ref<const std::string&>();
          break;
        case SF_FIELD_BYTES:
          type_ok = v.is_string();
          if (type_ok) {
            try {
              base64_decode(v.get_ref<const std::string&>(), out.decoded);
              out.text = out.decoded;
            } catch (const Error& e) {
              problem = e.what();
            }
          }
          break;
        case SF_FIELD_INT:
          type_ok = v.is_number_integer();
          if (v.is_number_unsigned() &&
              v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
            problem = "integer " + v.dump() + " is out of range for int (64-bit signed)";
          else if (type_ok) out.integer = v.get<int64_t>();
          break;
        case SF_FIELD_FLOAT:
          type_ok = v.is_number();
          if (type_ok) out.real = v.get<double>();
          break;
        default:
          type_ok = v.is_array() || v.is_number();
          if (type_ok) {
            try {
              out.shape = check_json_tensor(v, col.kind.dtype);
            } catch (const Error& e) {
              problem = e.what();
            }
          }
      }
      if (!type_ok)
        problem = std::string("expected ") + article_type(col.kind) + " (" + field_kind_name(col.kind) +
                  "), got " + json_type_name(v);
      if (!problem.empty()) return fail("field '" + col.name + "': " + problem);
    }
    auto id_it = doc.find(id_field);
    has_id = id_it != doc.end();
    if (!has_id) {
      id = {};
    } else if (id_it->is_string()) {
      id = id_it->get_ref<const std::string&>();
    } else if (id_it->is_number_integer()) {
      id_text = id_it->dump();
      id = id_text;
    } else {
      return fail("id key '" + id_field + "' is " + json_type_name(*id_it) +
                  ", expected a string or an integer");
    }
    return true;
  }

  void fill_tensor(size_t c, void* dst) const {
    sf_dtype dtype = columns[c].kind.dtype;
    if (!fast) {
      fill_json_tensor(*values[c].json_node, dtype, dst);
      return;
    }
    element v = values[c].node;
    switch (dtype) {
      case SF_DTYPE_I64: fill_ints<int64_t>(v, dst); return;
      case SF_DTYPE_I32: fill_ints<int32_t>(v, dst); return;
      case SF_DTYPE_U8: fill_ints<uint8_t>(v, dst); return;
      case SF_DTYPE_I8: fill_ints<int8_t>(v, dst); return;
      case SF_DTYPE_F32: fill_floats<float>(v, dst, [](float f) { return f; }); return;
      case SF_DTYPE_F16: fill_floats<uint16_t>(v, dst, float_to_f16); return;
      case SF_DTYPE_BF16: fill_floats<uint16_t>(v, dst, float_to_bf16); return;
      default: throw Error("tensor has an unknown dtype");
    }
  }
};

JsonlLineParser::JsonlLineParser(std::vector<JsonlColumn> columns, std::string id_field)
    : impl_(std::make_unique<Impl>()) {
  impl_->columns = std::move(columns);
  impl_->id_field = std::move(id_field);
  impl_->values.resize(impl_->columns.size());
}

JsonlLineParser::~JsonlLineParser() = default;

bool JsonlLineParser::parse(std::string_view line) { return parse_fast(line) || parse_checked(line); }
bool JsonlLineParser::parse_fast(std::string_view line) { return impl_->parse_fast(line); }
bool JsonlLineParser::parse_checked(std::string_view line) { return impl_->parse_checked(line); }
bool JsonlLineParser::used_fast_path() const { return impl_->fast; }
bool JsonlLineParser::has_id() const { return impl_->has_id; }
std::string_view JsonlLineParser::id() const { return impl_->id; }
std::string_view JsonlLineParser::text(size_t column) const { return impl_->values[column].text; }
int64_t JsonlLineParser::integer(size_t column) const { return impl_->values[column].integer; }
double JsonlLineParser::real(size_t column) const { return impl_->values[column].real; }
std::span<const int64_t> JsonlLineParser::shape(size_t column) const { return impl_->values[column].shape; }
void JsonlLineParser::fill_tensor(size_t column, void* dst) const { impl_->fill_tensor(column, dst); }
const std::string& JsonlLineParser::error() const { return impl_->error; }
std::optional<size_t> JsonlLineParser::error_byte() const { return impl_->error_byte; }

}  // namespace seqflow::io
