// Helpers of the text tests: the shared tokenizer directory, JSON Lines reading, encoding one text.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tokenizer.hpp"

namespace text_test {

inline std::string shared_tokenizers() { return std::string(SEQFLOW_SHARED_DATA) + "/tokenizers"; }
inline bool have_shared() { return std::filesystem::exists(shared_tokenizers() + "/PROVENANCE.md"); }

inline std::vector<nlohmann::json> read_jsonl(const std::string& path) {
  std::vector<nlohmann::json> out;
  std::ifstream f(path);
  std::string line;
  while (std::getline(f, line))
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  return out;
}

inline std::vector<int32_t> encode(const seqflow::text::Tokenizer& t, const std::string& s,
                                   bool add_special) {
  seqflow::text::Encoding e;
  t.encode(s, true, false, e);
  t.post_process(e, add_special);
  return e.ids;
}

}  // namespace text_test
