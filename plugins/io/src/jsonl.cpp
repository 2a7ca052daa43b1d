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
    : input_(plan_input(expand_paths(ctx.param("paths").as_strings()), ctx.shard())),
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
  if (ctx.param("passthrough").as_bool()) {
    passthrough_ = passthrough_slot(ctx, true);
    return;
  }
  warn_ignored_keys(ctx);
}

// Without pass-through, keys outside `fields` are dropped: say which, from the first line of the first
// file, so that it is never silent. Reads that one line only; a file that cannot be read is left to run.
void JsonlRead::warn_ignored_keys(CreateContext& ctx) const {
  std::vector<std::string> used{id_field_};
  for (const Column& col : columns_) used.push_back(col.name);
  if (input_.paths.empty()) return;  // a shard without files
  try {
    LineReader peek(input_.paths.front());
    std::string_view line;
    while (peek.next(line) && is_blank(line)) {
    }
    std::vector<JsonMember> members;
    if (!json_members(line, members)) return;
    std::vector<std::string> keys;
    for (const JsonMember& m : members) keys.push_back(m.key);
    const std::string ignored = ignored_keys(keys, used);
    if (!ignored.empty())
      ctx.warn(peek.path() + ":" + std::to_string(peek.line_number()) + ": keys " + ignored +
               " are not in `fields` and will be ignored; set passthrough = true to carry them to the "
               "writer, or declare them in `fields`");
  } catch (const std::exception&) {
    // The run reports an unreadable file with its position; a warning cannot add to that.
  }
}

bool JsonlRead::read(Context& ctx, uint32_t max) {
  uint32_t emitted = 0;
  std::string_view line;
  while (emitted < max) {
    if (reader_ == nullptr) {
      if (next_path_ == input_.paths.size()) return emitted > 0;
      reader_ = input_.open(next_path_);
      file_name_ = base_name(input_.paths[next_path_++]);
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
  } else if (!input_.spans.empty()) {
    throw Error(reader_->path() + ": a line has no id key '" + id_field_ +
                "': under --shard-by bytes ids cannot be line numbers (a byte range does not know how many "
                "lines come before it); give every line an id or use --shard-by file or record");
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
  if (passthrough_) {
    if (!json_members(line, members_))
      throw Error(reader_->path() + ":" + std::to_string(reader_->line_number()) +
                      ": the line parsed as JSON but its keys could not be delimited for passthrough",
                  SF_ERR_INTERNAL);
    pass_.begin();
    for (const JsonMember& m : members_) pass_.add(passthrough::Kind::kJson, m.key, m.value);
    r.set_bytes(passthrough_, pass_.encode());
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
  written_.resize(columns_.size());
  try {
    passthrough_ = ctx.field(passthrough::kField);
  } catch (const Error&) {
    // No reader of this pipeline carries pass-through keys.
  }
}

void JsonlWrite::append_value(Record& r, const Column& col) {
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

void JsonlWrite::write_with_passthrough(Record& r) {
  std::fill(written_.begin(), written_.end(), false);
  auto listed = [&](std::string_view name) -> std::ptrdiff_t {
    for (size_t i = 0; i < columns_.size(); ++i)
      if (columns_[i].name == name) return static_cast<std::ptrdiff_t>(i);
    return -1;
  };
  line_.clear();
  line_ += '{';
  bool first = true;
  auto open_key = [&](std::string_view key) {
    if (!first) line_ += ',';
    first = false;
    append_json_string(line_, key);
    line_ += ':';
  };
  passthrough::Decoder keys(r.string(passthrough_));
  passthrough::Entry e;
  std::vector<passthrough::Entry> entries;
  while (keys.next(e)) entries.push_back(e);
  // `id` leads, as without pass-through, unless the input line had a key of that name.
  const std::ptrdiff_t id_col = listed("id");
  bool id_in_input = false;
  for (const passthrough::Entry& x : entries) id_in_input = id_in_input || x.key == "id";
  if (id_col >= 0 && !id_in_input) {
    open_key("id");
    append_value(r, columns_[static_cast<size_t>(id_col)]);
    written_[static_cast<size_t>(id_col)] = true;
  }
  for (const passthrough::Entry& x : entries) {
    open_key(x.key);
    const std::ptrdiff_t col = listed(x.key);
    if (col < 0) {
      append_entry_as_json(line_, x);
    } else {
      append_value(r, columns_[static_cast<size_t>(col)]);
      written_[static_cast<size_t>(col)] = true;
    }
  }
  for (size_t i = 0; i < columns_.size(); ++i) {
    if (written_[i]) continue;
    open_key(columns_[i].name);
    append_value(r, columns_[i]);
  }
  line_ += "}\n";
  out_.write(line_);
}

void JsonlWrite::process(Context&, Record& r) {
  if (passthrough_ && r.has(passthrough_)) {
    write_with_passthrough(r);
    return;
  }
  line_.clear();
  line_ += '{';
  for (size_t i = 0; i < columns_.size(); ++i) {
    if (i > 0) line_ += ',';
    line_ += columns_[i].key;
    append_value(r, columns_[i]);
  }
  line_ += "}\n";
  out_.write(line_);
}

void JsonlWrite::finish(Context&) { out_.commit(); }

}  // namespace seqflow::io
