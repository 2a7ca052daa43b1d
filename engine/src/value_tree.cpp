#include "value_tree.hpp"

namespace seqflow::engine {

OwnedValue::OwnedValue() : arena_(std::make_unique<Arena>()) {
  arena_->nodes.push_back(sf_value{SF_VALUE_NONE, 0, 0, nullptr, 0, nullptr, nullptr});
}

OwnedValue::Builder OwnedValue::builder() { return Builder{arena_.get()}; }

sf_value OwnedValue::Builder::string(const std::string& s) const {
  const std::string& kept = a->strings.emplace_back(s);
  return sf_value{SF_VALUE_STRING, 0, 0, kept.c_str(), kept.size(), nullptr, nullptr};
}

sf_value OwnedValue::Builder::array(std::vector<sf_value> items) const {
  const std::vector<sf_value>& kept = a->arrays.emplace_back(std::move(items));
  return sf_value{SF_VALUE_ARRAY, 0, 0, nullptr, kept.size(), kept.data(), nullptr};
}

sf_value OwnedValue::Builder::table(const std::vector<std::string>& keys,
                                    std::vector<sf_value> values) const {
  std::vector<const char*> key_ptrs;
  key_ptrs.reserve(keys.size());
  for (const std::string& k : keys) key_ptrs.push_back(a->strings.emplace_back(k).c_str());
  const std::vector<const char*>& kept_keys = a->keys.emplace_back(std::move(key_ptrs));
  const std::vector<sf_value>& kept = a->arrays.emplace_back(std::move(values));
  return sf_value{SF_VALUE_TABLE, 0, 0, nullptr, kept.size(), kept.data(), kept_keys.data()};
}

}  // namespace seqflow::engine
