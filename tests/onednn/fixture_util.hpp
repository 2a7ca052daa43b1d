// Test helpers for the onednn fixtures: a minimal .npy reader (little-endian <f4 / <i8, C order, as
// numpy.save writes them) and the layer list of a fixture's pipeline.toml as LayerConfigs.
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "onednn/layer_config.hpp"
#include "onednn/model.hpp"

namespace fixture {

struct Npy {
  std::string descr;
  std::vector<int64_t> shape;
  std::vector<float> f;    // <f4
  std::vector<int64_t> i;  // <i8
  int64_t rows() const { return shape.empty() ? 1 : shape[0]; }
  int64_t cols() const { return shape.size() < 2 ? 1 : shape[1]; }
};

inline Npy read_npy(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string b = ss.str();
  if (b.size() < 10 || b.compare(0, 6, "\x93NUMPY") != 0)
    throw std::runtime_error(p.string() + ": not an npy file");
  size_t hl = static_cast<uint8_t>(b[8]) | static_cast<size_t>(static_cast<uint8_t>(b[9])) << 8;
  std::string h = b.substr(10, hl);
  Npy n;
  if (h.find("'fortran_order': False") == std::string::npos)
    throw std::runtime_error(p.string() + ": Fortran-order arrays are not expected in fixtures");
  size_t d = h.find("'descr': '") + 10;
  n.descr = h.substr(d, h.find('\'', d) - d);
  size_t s = h.find('(', h.find("'shape'")) + 1;
  std::string dims = h.substr(s, h.find(')', s) - s);
  std::stringstream ds(dims);
  for (std::string tok; std::getline(ds, tok, ',');)
    if (tok.find_first_not_of(' ') != std::string::npos) n.shape.push_back(std::stoll(tok));
  int64_t numel = 1;
  for (int64_t x : n.shape) numel *= x;
  const char* data = b.data() + 10 + hl;
  if (n.descr == "<f4") {
    n.f.resize(static_cast<size_t>(numel));
    std::memcpy(n.f.data(), data, n.f.size() * 4);
  } else if (n.descr == "<i8") {
    n.i.resize(static_cast<size_t>(numel));
    std::memcpy(n.i.data(), data, n.i.size() * 8);
  } else {
    throw std::runtime_error(p.string() + ": unexpected dtype " + n.descr);
  }
  return n;
}

inline seqflow::onednn::LayerConfig to_layer(const toml::table& t);

inline seqflow::onednn::ConfigValue to_value(const toml::node& n) {
  using seqflow::onednn::ConfigValue;
  if (n.is_boolean()) return ConfigValue::boolean(n.as_boolean()->get());
  if (n.is_integer()) return ConfigValue::integer(n.as_integer()->get());
  if (n.is_floating_point()) return ConfigValue::real(n.as_floating_point()->get());
  if (n.is_string()) return ConfigValue::string(n.as_string()->get());
  if (const toml::array* a = n.as_array()) {
    if (!a->empty() && a->front().is_table()) {  // a residual block's layers
      std::vector<seqflow::onednn::LayerConfig> layers;
      for (const toml::node& e : *a) layers.push_back(to_layer(*e.as_table()));
      return ConfigValue::layer_list(std::move(layers));
    }
    std::vector<int64_t> ints;
    for (const toml::node& e : *a) {
      if (!e.is_integer()) throw std::runtime_error("a layer's list value holds a non-integer");
      ints.push_back(e.as_integer()->get());
    }
    return ConfigValue::integers(std::move(ints));
  }
  throw std::runtime_error("unsupported layer value");
}

/// The `layers` of [resources.model] in a pipeline file.
inline std::vector<seqflow::onednn::LayerConfig> layers_of(const std::filesystem::path& pipeline) {
  toml::table t = toml::parse_file(pipeline.string());
  const toml::array* a = t["resources"]["model"]["layers"].as_array();
  if (a == nullptr) throw std::runtime_error(pipeline.string() + ": no resources.model.layers");
  std::vector<seqflow::onednn::LayerConfig> out;
  for (const toml::node& n : *a) out.push_back(to_layer(*n.as_table()));
  return out;
}

inline seqflow::onednn::LayerConfig to_layer(const toml::table& t) {
  seqflow::onednn::LayerConfig c;
  for (const auto& [k, v] : t) {
    if (k.str() == "type") c.type = v.as_string()->get();
    else c.set(std::string(k.str()), to_value(v));
  }
  return c;
}

/// Record ids (file stems) of a fixture, sorted.
inline std::vector<std::string> record_ids(const std::filesystem::path& dir) {
  std::vector<std::string> ids;
  for (const auto& e : std::filesystem::directory_iterator(dir / "inputs"))
    ids.push_back(e.path().stem().string());
  std::sort(ids.begin(), ids.end());
  return ids;
}

inline seqflow::onednn::SeqInput as_input(const Npy& n) {
  seqflow::onednn::SeqInput s;
  s.length = n.rows();
  if (n.descr == "<i8") {
    s.tokens64 = n.i.data();
    s.dim = 1;
  } else {
    s.features = n.f.data();
    s.dim = n.cols();
  }
  return s;
}

// A safetensors file (F32 tensors) built in memory.
inline std::shared_ptr<const seqflow::onednn::SafetensorsFile> weights(
    const std::map<std::string, std::pair<std::vector<int64_t>, std::vector<float>>>& t) {
  std::string header = "{", data;
  for (const auto& [name, sv] : t) {
    std::string shape;
    for (int64_t d : sv.first) {
      if (!shape.empty()) shape += ',';
      shape += std::to_string(d);
    }
    size_t begin = data.size();
    data.append(reinterpret_cast<const char*>(sv.second.data()), sv.second.size() * 4);
    if (header.size() > 1) header += ',';
    header += '"';
    header += name;
    header += "\":{\"dtype\":\"F32\",\"shape\":[";
    header += shape;
    header += "],\"data_offsets\":[";
    header += std::to_string(begin);
    header += ',';
    header += std::to_string(data.size());
    header += "]}";
  }
  header += "}";
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>(header.size() >> (8 * i) & 0xff);
  return seqflow::onednn::SafetensorsFile::from_bytes(bytes + header + data, "m.safetensors");
}

}  // namespace fixture
