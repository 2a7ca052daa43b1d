// Number <-> text conversions shared by the io readers and writers.
//
// Formatting is the shortest text that reads back to the same value (std::to_chars); an integral
// float keeps a ".0" so that typed readers (Python's json, pandas) still see a float. Parsing is
// strict: the whole text must be one number, no surrounding spaces. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace seqflow::io {

void append_int(std::string& out, int64_t v);
/// Shortest round-trip text; non-finite values as "nan", "inf", "-inf".
void append_double(std::string& out, double v);
/// Shortest text that reads back to the same binary32 value.
void append_float32(std::string& out, float v);

/// Whole-text parses; an optional leading '+' is accepted. False when `text` is not exactly one number
/// or an int is out of range.
bool parse_int(std::string_view text, int64_t& out);
bool parse_double(std::string_view text, double& out);

}  // namespace seqflow::io
