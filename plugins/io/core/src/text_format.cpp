#include "io/text_format.hpp"

#include <charconv>
#include <cmath>

namespace seqflow::io {
namespace {

// to_chars gives "1" for 1.0: keep such values recognisably floating point.
void mark_float(std::string& out, size_t start) {
  for (size_t i = start; i < out.size(); ++i) {
    char c = out[i];
    if (c == '.' || c == 'e') return;
  }
  out += ".0";
}

template <class T>
void append_real(std::string& out, T v) {
  if (std::isnan(v)) {
    out += "nan";
    return;
  }
  if (std::isinf(v)) {
    out += v < 0 ? "-inf" : "inf";
    return;
  }
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  size_t start = out.size();
  out.append(buf, res.ptr);
  mark_float(out, start);
}

// Drops one leading '+' (from_chars refuses it); false for a sign with nothing or another sign after it.
bool strip_plus(std::string_view& text) {
  if (!text.empty() && text.front() == '+') {
    text.remove_prefix(1);
    if (!text.empty() && text.front() == '-') return false;
  }
  return !text.empty();
}

}  // namespace

void append_int(std::string& out, int64_t v) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, res.ptr);
}

void append_double(std::string& out, double v) { append_real(out, v); }
void append_float32(std::string& out, float v) { append_real(out, v); }

bool parse_int(std::string_view text, int64_t& out) {
  if (!strip_plus(text)) return false;
  auto res = std::from_chars(text.data(), text.data() + text.size(), out);
  return res.ec == std::errc() && res.ptr == text.data() + text.size();
}

bool parse_double(std::string_view text, double& out) {
  if (!strip_plus(text)) return false;
  auto res = std::from_chars(text.data(), text.data() + text.size(), out);
  return res.ec == std::errc() && res.ptr == text.data() + text.size();
}

}  // namespace seqflow::io
