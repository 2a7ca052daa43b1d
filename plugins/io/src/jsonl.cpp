#include "jsonl.hpp"

#include "common.hpp"
#include "io/glob.hpp"
#include "io/text_format.hpp"

#include <cstdint>
#include <optional>

namespace seqflow::io {
namespace {

bool is_blank(std::string_view line) { return line.find_first_not_of(" \t\r") == std::string_view::npos; }

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
  std::vector<JsonlColumn> parsed;
  for (const Column& col : columns_) parsed.push_back({col.name, col.kind});
  parser_ = std::make_unique<JsonlLineParser>(std::move(parsed), id_field_);
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
  if (!parser_->parse(line)) {
    // Built only when a line is bad: most lines never need it.
    std::string where = reader_->path() + ":" + std::to_string(reader_->line_number());
    if (std::optional<size_t> byte = parser_->error_byte()) where += ":" + std::to_string(*byte);
    bad_input(ctx, where, parser_->error());
    return false;
  }
  Record r = ctx.emit();
  if (parser_->has_id()) {
    r.set_string(id_slot_, parser_->id());
  } else {
    default_id_ = file_name_;
    default_id_ += ':';
    append_int(default_id_, static_cast<int64_t>(reader_->line_number()));
    r.set_string(id_slot_, default_id_);
  }
  for (size_t c = 0; c < columns_.size(); ++c) {
    const Column& col = columns_[c];
    switch (col.kind.type) {
      case SF_FIELD_STRING: r.set_string(col.slot, parser_->text(c)); break;
      case SF_FIELD_BYTES: r.set_bytes(col.slot, parser_->text(c)); break;
      case SF_FIELD_INT: r.set_int(col.slot, parser_->integer(c)); break;
      case SF_FIELD_FLOAT: r.set_float(col.slot, parser_->real(c)); break;
      default: parser_->fill_tensor(c, r.make_tensor_raw(col.slot, col.kind.dtype, parser_->shape(c)));
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
