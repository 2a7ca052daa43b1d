// The top-level members of one JSON object line, each value as the exact text the line holds: what
// io.jsonl_read's passthrough = true carries to the writer untouched (numbers keep their spelling,
// strings their escapes).
//
// What it is: a scanner, not a parser: it runs on lines a JSON parser has already accepted as one
// object, so it only finds where each key and value begin and end (strings with escapes, nested arrays
// and objects). Keys are unescaped (nlohmann-json decodes the rare key that holds a backslash).
// Pure function, thread-safe. Errors: returns false when the text is not one object (the caller then
// relies on the parser's message); nothing throws except allocation.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace seqflow::io {

struct JsonMember {
  std::string key;         // unescaped
  std::string_view value;  // the value's text in the line, without surrounding whitespace
};

/// Fills `out` with the object's members in line order (duplicate keys included, as written).
bool json_members(std::string_view line, std::vector<JsonMember>& out);

}  // namespace seqflow::io
