// Fuzz target: io.jsonl_read's line parser (JsonlLineParser) and its field typing.
//
// The first byte picks the declared columns (every field kind and tensor dtype appears in one set); the
// rest is split at '\n' into lines, parsed in turn by one parser, as the reader does. Besides "no crash,
// no out-of-bounds read", it checks the parser's documented promise: when the simdjson fast path
// accepts a line, the nlohmann-json checked path accepts it too, with the same values.
#include "fuzz_util.hpp"
#include "io/jsonl_line.hpp"

#include <cmath>
#include <cstring>
#include <vector>

namespace {

using seqflow::io::FieldKind;
using seqflow::io::JsonlColumn;
using seqflow::io::JsonlLineParser;

size_t dtype_size(sf_dtype d) {
  switch (d) {
    case SF_DTYPE_I64: return 8;
    case SF_DTYPE_F32:
    case SF_DTYPE_I32: return 4;
    case SF_DTYPE_F16:
    case SF_DTYPE_BF16: return 2;
    default: return 1;
  }
}

std::vector<JsonlColumn> columns_for(uint8_t choice) {
  auto tensor = [](const char* name, sf_dtype d) { return JsonlColumn{name, FieldKind{SF_FIELD_TENSOR, d}}; };
  switch (choice % 5) {
    case 0:
      return {{"text", {SF_FIELD_STRING}}, {"n", {SF_FIELD_INT}}, {"x", {SF_FIELD_FLOAT}}};
    case 1: return {{"b", {SF_FIELD_BYTES}}, {"text", {SF_FIELD_STRING}}};
    case 2: return {tensor("t", SF_DTYPE_F32)};
    case 3: return {tensor("t", SF_DTYPE_I64), tensor("u", SF_DTYPE_U8)};
    default:
      return {tensor("h", SF_DTYPE_F16), tensor("g", SF_DTYPE_BF16), tensor("k", SF_DTYPE_I8),
              tensor("j", SF_DTYPE_I32)};
  }
}

// Everything a successful parse produced, copied out of the parser.
struct Values {
  bool has_id = false;
  std::string id;
  std::vector<std::string> texts;
  std::vector<int64_t> ints;
  std::vector<uint64_t> real_bits;
  std::vector<std::vector<int64_t>> shapes;
  std::vector<std::string> tensors;
  bool operator==(const Values&) const = default;
};

Values snapshot(const JsonlLineParser& p, const std::vector<JsonlColumn>& cols) {
  Values v;
  v.has_id = p.has_id();
  if (v.has_id) v.id = std::string(p.id());
  for (size_t c = 0; c < cols.size(); ++c) {
    switch (cols[c].kind.type) {
      case SF_FIELD_STRING:
      case SF_FIELD_BYTES: v.texts.emplace_back(p.text(c)); break;
      case SF_FIELD_INT: v.ints.push_back(p.integer(c)); break;
      case SF_FIELD_FLOAT: {
        double d = p.real(c);
        uint64_t bits = 0;
        if (!std::isnan(d)) std::memcpy(&bits, &d, sizeof bits);
        v.real_bits.push_back(bits);
        break;
      }
      default: {
        auto shape = p.shape(c);
        size_t n = 1;
        for (int64_t d : shape) n *= static_cast<size_t>(d);
        std::string data(n * dtype_size(cols[c].kind.dtype), '\0');
        p.fill_tensor(c, data.data());
        v.shapes.emplace_back(shape.begin(), shape.end());
        v.tensors.push_back(std::move(data));
      }
    }
  }
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  seqflow::fuzz::Cursor in(data, size);
  const std::vector<JsonlColumn> cols = columns_for(in.byte());
  const std::string id_key = in.byte() % 2 == 0 ? "id" : "key";
  JsonlLineParser parser(cols, id_key);
  JsonlLineParser reference(cols, id_key);
  while (!in.rest().empty()) {
    std::string_view line = in.part("\n");
    if (parser.parse(line)) {
      (void)snapshot(parser, cols);
    } else if (parser.error().empty()) {
      __builtin_trap();  // a refused line must say why
    }
    if (parser.parse_fast(line)) {
      Values fast = snapshot(parser, cols);
      if (!reference.parse_checked(line) || !(snapshot(reference, cols) == fast)) __builtin_trap();
    }
  }
  return 0;
}
