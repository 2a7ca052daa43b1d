#include "passthrough_io.hpp"

#include "io/json_fields.hpp"
#include "io/tsv.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace seqflow::io {

Slot passthrough_slot(CreateContext& ctx, bool wanted) {
  if (!wanted || !ctx.field_is_read(passthrough::kField)) return Slot{};
  return ctx.field(passthrough::kField);
}

void PassthroughBuilder::begin() {
  items_.clear();
  index_.clear();
}

void PassthroughBuilder::add(passthrough::Kind kind, std::string_view key, std::string_view value) {
  auto [it, fresh] = index_.emplace(key, items_.size());
  if (fresh) items_.push_back({kind, key, value});
  else items_[it->second] = {kind, key, value};
}

const std::string& PassthroughBuilder::encode() {
  encoder_.clear();
  for (const Item& i : items_) encoder_.add(i.kind, i.key, i.value);
  return encoder_.encoded();
}

std::string ignored_keys(const std::vector<std::string>& present, const std::vector<std::string>& used) {
  std::string out;
  size_t n = 0;
  for (const std::string& k : present) {
    if (std::find(used.begin(), used.end(), k) != used.end()) continue;
    if (++n <= 12) out += (out.empty() ? "'" : ", '") + k + "'";
  }
  if (n > 12) out += " and " + std::to_string(n - 12) + " more";
  return out;
}

void append_entry_as_json(std::string& out, const passthrough::Entry& e) {
  if (e.kind == passthrough::Kind::kTsvCell) append_json_string(out, tsv_unescape(e.value));
  else out.append(e.value);
}

void append_entry_as_tsv(std::string& out, const passthrough::Entry& e) {
  if (e.kind == passthrough::Kind::kTsvCell) {
    out.append(e.value);
    return;
  }
  if (!e.value.empty() && e.value.front() == '"') {
    const nlohmann::json s = nlohmann::json::parse(e.value, nullptr, false);
    if (!s.is_string()) throw Error("key '" + std::string(e.key) + "': its JSON string cannot be decoded");
    append_tsv_escaped(out, s.get_ref<const std::string&>());
    return;
  }
  append_tsv_escaped(out, e.value);
}

}  // namespace seqflow::io
