#include "onednn/layer_config.hpp"

#include <algorithm>

#include "onednn/safetensors.hpp"

namespace seqflow::onednn {

ConfigValue ConfigValue::boolean(bool v) {
  ConfigValue c;
  c.kind = Kind::kBool;
  c.b = v;
  return c;
}
ConfigValue ConfigValue::integer(int64_t v) {
  ConfigValue c;
  c.kind = Kind::kInt;
  c.i = v;
  return c;
}
ConfigValue ConfigValue::real(double v) {
  ConfigValue c;
  c.kind = Kind::kFloat;
  c.f = v;
  return c;
}
ConfigValue ConfigValue::integers(std::vector<int64_t> v) {
  ConfigValue c;
  c.kind = Kind::kInts;
  c.ints = std::move(v);
  return c;
}
ConfigValue ConfigValue::layer_list(std::vector<LayerConfig> v) {
  ConfigValue c;
  c.kind = Kind::kLayers;
  c.layers = std::move(v);
  return c;
}
ConfigValue ConfigValue::string(std::string v) {
  ConfigValue c;
  c.kind = Kind::kString;
  c.s = std::move(v);
  return c;
}

LayerConfig& LayerConfig::set(const std::string& key, ConfigValue v) {
  for (auto& [k, value] : keys)
    if (k == key) {
      value = std::move(v);
      return *this;
    }
  keys.emplace_back(key, std::move(v));
  return *this;
}

std::string closest(const std::string& word, const std::vector<std::string>& options) {
  std::string best;
  size_t best_d = SIZE_MAX;
  for (const std::string& o : options) {
    std::vector<size_t> prev(o.size() + 1), cur(o.size() + 1);
    for (size_t j = 0; j <= o.size(); ++j) prev[j] = j;
    for (size_t i = 1; i <= word.size(); ++i) {
      cur[0] = i;
      for (size_t j = 1; j <= o.size(); ++j)
        cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (word[i - 1] == o[j - 1] ? 0 : 1)});
      std::swap(prev, cur);
    }
    if (prev[o.size()] < best_d) {
      best_d = prev[o.size()];
      best = o;
    }
  }
  return best_d <= std::max<size_t>(2, word.size() / 3) ? best : "";
}

KeyReader::KeyReader(const LayerConfig& cfg, size_t index)
    : KeyReader(cfg, "layer " + std::to_string(index)) {}

KeyReader::KeyReader(const LayerConfig& cfg, std::string label) : cfg_(cfg), label_(std::move(label)) {
  where_ = label_ + " (" + cfg.type;
  for (const auto& [k, v] : cfg.keys)
    if (k == "prefix" && v.kind == ConfigValue::Kind::kString) where_ += ", prefix '" + v.s + "'";
  where_ += ")";
}

bool KeyReader::has(const std::string& key) const {
  return std::any_of(cfg_.keys.begin(), cfg_.keys.end(), [&](const auto& kv) { return kv.first == key; });
}

const ConfigValue* KeyReader::find(const std::string& key, ConfigValue::Kind want, const char* what) {
  known_.insert(key);
  for (const auto& [k, v] : cfg_.keys) {
    if (k != key) continue;
    bool ok = v.kind == want || (want == ConfigValue::Kind::kFloat && v.kind == ConfigValue::Kind::kInt) ||
              (want == ConfigValue::Kind::kInt && v.kind == ConfigValue::Kind::kInts && v.ints.size() == 1);
    if (!ok) throw WeightsError(where_ + ": key '" + key + "' must be " + what);
    return &v;
  }
  return nullptr;
}

bool KeyReader::get_bool(const std::string& key, bool def) {
  const ConfigValue* v = find(key, ConfigValue::Kind::kBool, "true or false");
  return v ? v->b : def;
}

int64_t KeyReader::get_int(const std::string& key, int64_t def, int64_t min, int64_t max) {
  const ConfigValue* v = find(key, ConfigValue::Kind::kInt, "an integer");
  if (!v) return def;
  const int64_t i = v->kind == ConfigValue::Kind::kInts ? v->ints[0] : v->i;
  if (i < min || i > max)
    throw WeightsError(where_ + ": key '" + key + "' = " + std::to_string(i) + " is out of range [" +
                       std::to_string(min) + ", " +
                       (max == INT64_MAX ? std::string("...") : std::to_string(max)) + "]");
  return i;
}

std::array<int64_t, 2> KeyReader::get_pair(const std::string& key, int64_t def, int64_t min, int64_t max) {
  known_.insert(key);
  const auto it =
      std::find_if(cfg_.keys.begin(), cfg_.keys.end(), [&](const auto& kv) { return kv.first == key; });
  if (it != cfg_.keys.end() && it->second.kind == ConfigValue::Kind::kInts) {
    const std::vector<int64_t>& v = it->second.ints;
    if (v.size() != 2) throw WeightsError(where_ + ": key '" + key + "' must be an integer or a list of two");
    for (int64_t i : v)
      if (i < min || i > max)
        throw WeightsError(where_ + ": key '" + key + "' has " + std::to_string(i) + ", out of range [" +
                           std::to_string(min) + ", " + std::to_string(max) + "]");
    return {v[0], v[1]};
  }
  if (it != cfg_.keys.end() && it->second.kind != ConfigValue::Kind::kInt)
    throw WeightsError(where_ + ": key '" + key + "' must be an integer or a list of two");
  const int64_t i = get_int(key, def, min, max);
  return {i, i};
}

double KeyReader::get_float(const std::string& key, double def) {
  const ConfigValue* v = find(key, ConfigValue::Kind::kFloat, "a number");
  if (!v) return def;
  return v->kind == ConfigValue::Kind::kInt ? static_cast<double>(v->i) : v->f;
}

std::string KeyReader::get_string(const std::string& key, const std::string& def) {
  const ConfigValue* v = find(key, ConfigValue::Kind::kString, "a string");
  return v ? v->s : def;
}

std::string KeyReader::get_choice(const std::string& key, const std::string& def,
                                  const std::string& choices) {
  std::string s = get_string(key, def);
  std::vector<std::string> options;
  size_t start = 0;
  for (size_t bar; (bar = choices.find('|', start)) != std::string::npos; start = bar + 1)
    options.push_back(choices.substr(start, bar - start));
  options.push_back(choices.substr(start));
  if (std::find(options.begin(), options.end(), s) != options.end()) return s;
  std::string msg = where_ + ": key '" + key + "' must be one of";
  for (const std::string& o : options) msg += " \"" + o + "\"";
  msg += ", got \"" + s + "\"";
  std::string guess = closest(s, options);
  if (!guess.empty()) msg += " (did you mean \"" + guess + "\"?)";
  throw WeightsError(msg);
}

const ConfigValue* KeyReader::get_raw(const std::string& key) {
  known_.insert(key);
  for (const auto& [k, v] : cfg_.keys)
    if (k == key) return &v;
  return nullptr;
}

const std::vector<LayerConfig>* KeyReader::get_layers(const std::string& key) {
  static const std::vector<LayerConfig> kNone;
  const ConfigValue* v = get_raw(key);
  if (v == nullptr) return nullptr;
  if (v->kind == ConfigValue::Kind::kInts && v->ints.empty()) return &kNone;
  if (v->kind != ConfigValue::Kind::kLayers)
    throw WeightsError(where_ + ": key '" + key +
                       "' must be a list of layer tables such as [{ type = \"linear\", "
                       "prefix = \"ff\" }]");
  return &v->layers;
}

void KeyReader::ignore(const std::string& key) { known_.insert(key); }

void KeyReader::finish() const {
  std::vector<std::string> known(known_.begin(), known_.end());
  for (const auto& [k, v] : cfg_.keys) {
    if (known_.count(k)) continue;
    std::string msg = where_ + ": unknown key '" + k + "'";
    std::string guess = closest(k, known);
    if (!guess.empty()) msg += " (did you mean '" + guess + "'?)";
    std::string list;
    for (const std::string& n : known) list += (list.empty() ? "" : ", ") + n;
    throw WeightsError(msg + "; known keys: " + list);
  }
}

}  // namespace seqflow::onednn
