// JSON <-> record field conversions for io.jsonl_read and io.jsonl_write.
//
// Reading: a field's declared kind ("string", "bytes", "int", "float", "tensor:<dtype>") says which
// JSON values it accepts: strings; base64 strings; integers; numbers; nested arrays of numbers. Values
// are checked completely before anything is written, so a bad line never leaves a half-made record.
// Writing: compact JSON text appended to a std::string: escaped UTF-8 strings, shortest round-trip
// numbers, tensors as nested arrays (f16/bf16 written as their float values), bytes as base64.
// Pure functions, thread-safe. Errors: seqflow::Error whose message says what is wrong without the
// file position (the caller adds it).
#pragma once

#include <seqflow/plugin_abi.h>

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace seqflow::io {

struct FieldKind {
  sf_field_type type = SF_FIELD_STRING;
  sf_dtype dtype = SF_DTYPE_ANY;  // tensors only
};

/// "f32", "bf16", "f16", "i64", "i32", "u8", "i8"; false otherwise.
bool parse_dtype(std::string_view name, sf_dtype& out);
/// "string" | "bytes" | "int" | "float" | "tensor:<dtype>"; throws naming the accepted spellings.
FieldKind parse_field_kind(std::string_view spec);
/// How the kind is written in a pipeline file: "string", "tensor:f32", ...
std::string field_kind_name(FieldKind kind);

/// The JSON type of `v` in words: "string", "integer", "float", "boolean", "null", "array", "object".
const char* json_type_name(const nlohmann::json& v);

/// Checks every element of `v` as a tensor of `dtype` (rectangular nesting, numbers, integers within
/// the dtype's range, floats within its finite range) and returns its shape; a bare number is rank 0.
std::vector<int64_t> check_json_tensor(const nlohmann::json& v, sf_dtype dtype);
/// Writes the elements of a `v` that check_json_tensor accepted into `dst`, row-major.
void fill_json_tensor(const nlohmann::json& v, sf_dtype dtype, void* dst);

/// The range of an integer dtype (i64 i32 u8 i8); false for float dtypes.
bool dtype_integer_range(sf_dtype dtype, int64_t& lo, int64_t& hi);
/// For a float dtype: the smallest magnitude that rounds to infinity in it (values must stay below).
double dtype_overflow_threshold(sf_dtype dtype);

std::string base64_encode(std::string_view data);
/// Standard alphabet with '=' padding; throws when `text` is not that.
std::string base64_decode(std::string_view text);
/// The same into `out` (replacing its contents), which keeps its capacity from one call to the next.
void base64_decode(std::string_view text, std::string& out);

/// Appends `s` as a JSON string literal; throws when `s` is not valid UTF-8.
void append_json_string(std::string& out, std::string_view s);
/// Appends a number; throws for NaN and infinities, which JSON cannot represent.
void append_json_double(std::string& out, double v);
/// Appends a tensor as nested JSON arrays (rank 0: a bare number).
void append_json_tensor(std::string& out, sf_dtype dtype, std::span<const int64_t> shape, const void* data);

}  // namespace seqflow::io
