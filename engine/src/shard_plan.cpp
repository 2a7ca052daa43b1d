#include "shard_plan.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>

namespace seqflow::engine {

const char* shard_by_name(ShardBy by) {
  switch (by) {
    case ShardBy::kFile: return "file";
    case ShardBy::kBytes: return "bytes";
    default: return "record";
  }
}

std::string check_source_shards(const PipelineSpec& spec, ShardBy by, uint32_t count) {
  if (count <= 1 || by == ShardBy::kRecord || spec.stages.empty()) return "";
  const StageSpec& src = spec.stages.front();
  const uint32_t flags = src.component.component->flags;
  const uint32_t needed = by == ShardBy::kFile ? SF_FLAG_SHARDS_FILES : SF_FLAG_SHARDS_BYTES;
  if ((flags & needed) != 0) return "";
  std::string alternatives = "use --shard-by record (every shard reads all input, keeps 1/N of it)";
  if (by == ShardBy::kBytes && (flags & SF_FLAG_SHARDS_FILES) != 0)
    alternatives = "use --shard-by file (whole files per shard) or --shard-by record";
  return src.pos.str() + ": error: stage '" + src.name + "' (" + src.plugin + ") cannot read a shard by " +
         shard_by_name(by) + " alone: " + alternatives;
}

std::string shard_file_name(const std::string& path, uint32_t index, uint32_t count) {
  const std::string width_of = std::to_string(count - 1);
  std::string idx = std::to_string(index);
  idx.insert(0, width_of.size() - std::min(width_of.size(), idx.size()), '0');
  const std::string tag = ".shard-" + idx + "-of-" + std::to_string(count);
  std::string trimmed = path;
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
  const size_t slash = trimmed.find_last_of('/');
  const size_t name_at = slash == std::string::npos ? 0 : slash + 1;
  // A leading dot belongs to the name (".hidden"), not to an extension.
  const size_t dot = trimmed.find('.', name_at + 1);
  if (dot == std::string::npos || std::filesystem::is_directory(trimmed)) return trimmed + tag;
  return trimmed.substr(0, dot) + tag + trimmed.substr(dot);
}

std::vector<std::string> shard_output_overrides(const PipelineSpec& spec, uint32_t index, uint32_t count) {
  std::vector<std::string> sets;
  if (count <= 1) return sets;
  auto toml_string = [](const std::string& s) {
    return nlohmann::json(s).dump();
  };  // a valid TOML basic string
  for (const StageSpec& s : spec.stages) {
    const sf_component* c = s.component.component;
    if (c->kind != SF_SINK) continue;
    const sf_value* params = s.params.root();
    for (uint32_t d = 0; d < c->num_params; ++d) {
      if (c->params[d].type != SF_PARAM_PATH) continue;
      for (size_t i = 0; i < params->size; ++i) {
        const sf_value& v = params->items[i];
        if (std::string(params->keys[i]) != c->params[d].name || v.kind != SF_VALUE_STRING || v.size == 0)
          continue;
        sets.push_back(s.name + "." + c->params[d].name + "=" +
                       toml_string(shard_file_name(std::string(v.s, v.size), index, count)));
      }
    }
  }
  if (!spec.error_log.empty())
    sets.push_back("pipeline.error_log=" + toml_string(shard_file_name(spec.error_log, index, count)));
  return sets;
}

}  // namespace seqflow::engine
