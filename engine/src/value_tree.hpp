// OwnedValue: an sf_value tree (the ABI's parameter representation) that owns its storage.
//
// Built by the pipeline loader from TOML; handed to plugins as `const sf_value*` during create.
// Immutable after construction; safe to read from any thread. Moving keeps pointers valid.
#pragma once

#include <seqflow/plugin_abi.h>

#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace seqflow::engine {

class OwnedValue {
 public:
  OwnedValue();
  OwnedValue(OwnedValue&&) noexcept = default;
  OwnedValue& operator=(OwnedValue&&) noexcept = default;

  const sf_value* root() const { return &arena_->nodes.front(); }

  /// Builders; each returns a node owned by this tree. `root()` is the first node made.
  struct Builder;
  Builder builder();

 private:
  friend struct Builder;
  struct Arena {
    std::deque<sf_value> nodes;  // deque: pointers stay valid as it grows
    std::deque<std::string> strings;
    std::deque<std::vector<sf_value>> arrays;
    std::deque<std::vector<const char*>> keys;
  };
  std::unique_ptr<Arena> arena_;
};

/// Building a tree bottom-up: make children first, then the array/table that holds copies of them.
struct OwnedValue::Builder {
  OwnedValue::Arena* a;
  sf_value none() const { return sf_value{SF_VALUE_NONE, 0, 0, nullptr, 0, nullptr, nullptr}; }
  sf_value boolean(bool v) const {
    return sf_value{SF_VALUE_BOOL, v ? 1 : 0, 0, nullptr, 0, nullptr, nullptr};
  }
  sf_value integer(int64_t v) const { return sf_value{SF_VALUE_INT, v, 0, nullptr, 0, nullptr, nullptr}; }
  sf_value real(double v) const { return sf_value{SF_VALUE_FLOAT, 0, v, nullptr, 0, nullptr, nullptr}; }
  sf_value string(const std::string& s) const;
  sf_value array(std::vector<sf_value> items) const;
  sf_value table(const std::vector<std::string>& keys, std::vector<sf_value> values) const;
  /// Makes `v` the root.
  void set_root(const sf_value& v) const { a->nodes.front() = v; }
};

}  // namespace seqflow::engine
