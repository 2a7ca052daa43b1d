#include "jsonl.hpp"

#include "common.hpp"
#include "io/glob.hpp"
#include "io/text_format.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <limits>

namespace seqflow::io {
namespace {

using nlohmann::json;

bool is_blank(std::string_view line) { return line.find_first_not_of(" \t\r") == std::string_view::npos; }

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

}  // namespace

JsonlRead::JsonlRead(CreateContext& ctx)
    : paths_(expand_paths(ctx.param("paths").as_strings())),
      id_field_(ctx.param("id_field").as_string()),
      id_slot_(ctx.field("id")) {
  Value table = ctx.param("fields");
  for (size_t i = 0; i < table.size(); ++i) {
    std::string name(table.key(i));
    if (name == "id")
      throw Error("parameter 'fields': 'id' is always set (from the key named by id_field, \"" + id_field_ +
                  "\"); leave it out of `fields`");
    FieldKind kind;
    try {
      kind = parse_field_kind(table.item(i).as_string());
    } catch (const Error& e) {
      throw Error("parameter 'fields', field '" + name + "': " + e.what());
    }
    columns_.push_back({name, kind, ctx.field(name)});
  }
  shapes_.resize(columns_.size());
  decoded_.resize(columns_.size());
}

bool JsonlRead::read(Context& ctx, uint32_t max) {
  uint32_t emitted = 0;
  std::string_view line;
  while (emitted < max) {
    if (reader_ == nullptr) {
      if (next_path_ == paths_.size()) return emitted > 0;
      const std::string& path = paths_[next_path_++];
      reader_ = std::make_unique<LineReader>(path);
      file_name_ = base_name(path);
    }
    if (!reader_->next(line)) {
      reader_.reset();
      continue;
    }
    if (is_blank(line)) continue;
    if (convert_line(ctx, line)) ++emitted;
  }
  return true;
}

bool JsonlRead::convert_line(Context& ctx, std::string_view line) {
  // Built only when a line is bad: most lines never need it.
  auto where = [&] { return reader_->path() + ":" + std::to_string(reader_->line_number()); };
  json j;
  try {
    j = json::parse(line.begin(), line.end());
  } catch (const json::parse_error& e) {
    bad_input(ctx, where() + ":" + std::to_string(e.byte), "invalid JSON: " + parse_reason(e));
    return false;
  }
  if (!j.is_object()) {
    bad_input(ctx, where(), std::string("the line is a JSON ") + json_type_name(j) + ", expected an object");
    return false;
  }
  // Check everything first: a bad line must not leave a half-made record behind.
  for (size_t c = 0; c < columns_.size(); ++c) {
    const Column& col = columns_[c];
    auto it = j.find(col.name);
    if (it == j.end()) {
      bad_input(ctx, where(), "field '" + col.name + "' is missing");
      return false;
    }
    const json& v = *it;
    std::string problem;
    bool type_ok = true;
    switch (col.kind.type) {
      case SF_FIELD_STRING: type_ok = v.is_string(); break;
      case SF_FIELD_BYTES:
        type_ok = v.is_string();
        if (type_ok) {
          try {
            decoded_[c] = base64_decode(v.get_ref<const std::string&>());
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
        break;
      case SF_FIELD_FLOAT: type_ok = v.is_number(); break;
      default:
        type_ok = v.is_array() || v.is_number();
        if (type_ok) {
          try {
            shapes_[c] = check_json_tensor(v, col.kind.dtype);
          } catch (const Error& e) {
            problem = e.what();
          }
        }
    }
    if (!type_ok)
      problem = std::string("expected ") + article_type(col.kind) + " (" + field_kind_name(col.kind) +
                "), got " + json_type_name(v);
    if (!problem.empty()) {
      bad_input(ctx, where(), "field '" + col.name + "': " + problem);
      return false;
    }
  }
  std::string id;
  auto id_it = j.find(id_field_);
  if (id_it == j.end()) {
    id = file_name_ + ":" + std::to_string(reader_->line_number());
  } else if (id_it->is_string()) {
    id = id_it->get<std::string>();
  } else if (id_it->is_number_integer()) {
    id = id_it->dump();
  } else {
    bad_input(
        ctx, where(),
        "id key '" + id_field_ + "' is " + json_type_name(*id_it) + ", expected a string or an integer");
    return false;
  }

  Record r = ctx.emit();
  r.set_string(id_slot_, id);
  for (size_t c = 0; c < columns_.size(); ++c) {
    const Column& col = columns_[c];
    const json& v = *j.find(col.name);
    switch (col.kind.type) {
      case SF_FIELD_STRING: r.set_string(col.slot, v.get_ref<const std::string&>()); break;
      case SF_FIELD_BYTES: r.set_bytes(col.slot, decoded_[c]); break;
      case SF_FIELD_INT: r.set_int(col.slot, v.get<int64_t>()); break;
      case SF_FIELD_FLOAT: r.set_float(col.slot, v.get<double>()); break;
      default: fill_json_tensor(v, col.kind.dtype, r.make_tensor_raw(col.slot, col.kind.dtype, shapes_[c]));
    }
  }
  return true;
}

JsonlWrite::JsonlWrite(CreateContext& ctx)
    : out_(ctx.param("path").as_string(), has_gzip_suffix(ctx.param("path").as_string())) {
  std::vector<std::string> names = ctx.param("fields").as_strings();
  for (size_t i = 0; i < names.size(); ++i)
    for (size_t k = 0; k < i; ++k)
      if (names[i] == names[k]) throw Error("parameter 'fields': field '" + names[i] + "' is listed twice");
  auto add = [&](const std::string& name) {
    Column c{name, "", ctx.field(name)};
    append_json_string(c.key, name);
    c.key += ':';
    columns_.push_back(std::move(c));
  };
  for (const std::string& n : names)
    if (n == "id") add(n);
  for (const std::string& n : names)
    if (n != "id") add(n);
}

void JsonlWrite::process(Context&, Record& r) {
  line_.clear();
  line_ += '{';
  for (size_t i = 0; i < columns_.size(); ++i) {
    const Column& col = columns_[i];
    if (i > 0) line_ += ',';
    line_ += col.key;
    require_field(r, col.slot, col.name);
    try {
      switch (r.type(col.slot)) {
        case SF_FIELD_STRING: append_json_string(line_, r.string(col.slot)); break;
        case SF_FIELD_BYTES: append_json_string(line_, base64_encode(r.string(col.slot))); break;
        case SF_FIELD_INT: append_int(line_, r.integer(col.slot)); break;
        case SF_FIELD_FLOAT: append_json_double(line_, r.real(col.slot)); break;
        default: {
          Tensor t = r.tensor(col.slot);
          append_json_tensor(line_, t.dtype(), t.shape(), t.raw());
        }
      }
    } catch (const Error& e) {
      throw Error("field '" + col.name + "': " + e.what());
    }
  }
  line_ += "}\n";
  out_.write(line_);
}

void JsonlWrite::finish(Context&) { out_.commit(); }

}  // namespace seqflow::io
