// Layer configuration: one entry of a model's `layers` list, as plain values (no TOML or SDK types).
//
// What it is: the keys of a layer table (`{ type = "lstm", prefix = "rnn", num_layers = 2 }`) and a
// reader that takes each key once, checks its type and range, and at the end refuses any key that
// no reader asked for, suggesting the closest known one. Key names are the PyTorch constructor
// argument names of the layer's module.
// Lifecycle: built by the caller (the plugin converts its parameter tree), read once by the model
// builder. Threading: plain values. Errors: WeightsError naming the layer ("layer 3 (lstm): ...").
#pragma once

#include <array>
#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace seqflow::onednn {

struct LayerConfig;

struct ConfigValue {
  enum class Kind { kBool, kInt, kFloat, kString, kInts, kLayers };
  Kind kind = Kind::kInt;
  bool b = false;
  int64_t i = 0;
  double f = 0;
  std::string s;
  std::vector<int64_t> ints;        // kInts: a list such as kernel_size = [3, 5]
  std::vector<LayerConfig> layers;  // kLayers: a residual block's list of layer tables

  static ConfigValue boolean(bool v);
  static ConfigValue integer(int64_t v);
  static ConfigValue real(double v);
  static ConfigValue string(std::string v);
  static ConfigValue integers(std::vector<int64_t> v);
  static ConfigValue layer_list(std::vector<LayerConfig> v);
};

struct LayerConfig {
  std::string type;
  std::vector<std::pair<std::string, ConfigValue>> keys;  // without `type`

  LayerConfig& set(const std::string& key, ConfigValue v);
};

/// Reads the keys of one layer; every getter marks its key as known.
class KeyReader {
 public:
  KeyReader(const LayerConfig& cfg, size_t index);
  /// `label` names the layer: "layer 3", or "layer 3.1" for a layer inside layer 3.
  KeyReader(const LayerConfig& cfg, std::string label);
  /// "layer 3 (lstm, prefix 'rnn')"
  const std::string& where() const { return where_; }
  /// "layer 3"
  const std::string& label() const { return label_; }

  bool has(const std::string& key) const;
  bool get_bool(const std::string& key, bool def);
  /// An integer, or a list of one (PyTorch's kernel_size=(3,)).
  int64_t get_int(const std::string& key, int64_t def, int64_t min = INT64_MIN, int64_t max = INT64_MAX);
  /// An integer for both dims, or a list of two (PyTorch's _pair).
  std::array<int64_t, 2> get_pair(const std::string& key, int64_t def, int64_t min, int64_t max);
  double get_float(const std::string& key, double def);
  std::string get_string(const std::string& key, const std::string& def);
  /// A string restricted to `choices` ("relu|gelu").
  std::string get_choice(const std::string& key, const std::string& def, const std::string& choices);
  /// A list of layer tables (a residual's branches); null when absent. An empty TOML list is an
  /// empty list.
  const std::vector<LayerConfig>* get_layers(const std::string& key);
  /// The raw value (int or string keys such as conv1d's padding); marks the key known.
  const ConfigValue* get_raw(const std::string& key);
  /// Keys documented as accepted and ignored at inference (dropout, batch_first, ...).
  void ignore(const std::string& key);
  /// Throws for any key no getter asked for.
  void finish() const;

 private:
  const ConfigValue* find(const std::string& key, ConfigValue::Kind want, const char* what);

  const LayerConfig& cfg_;
  std::string label_;
  std::string where_;
  std::set<std::string> known_;
};

/// The closest of `options` to `word` by edit distance, or "" when none is close.
std::string closest(const std::string& word, const std::vector<std::string>& options);

}  // namespace seqflow::onednn
