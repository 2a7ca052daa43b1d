// The provenance record of a run (see provenance.hpp). SHA-256 comes from OpenSSL's libcrypto; input
// patterns are expanded as the readers expand them (glob(3), sorted, folders left out).
#include "provenance.hpp"

#include "shard_plan.hpp"

#include <glob.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>

#ifndef SEQFLOW_VERSION
#error "SEQFLOW_VERSION must be defined by the build"
#endif

namespace seqflow::engine {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

std::string iso_utc(std::chrono::system_clock::time_point t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];  // room for any int the fields could hold
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

std::string iso_utc_of(const struct timespec& ts) {
  return iso_utc(
      std::chrono::system_clock::time_point(std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec))));
}

Json value_json(const sf_value& v) {
  switch (v.kind) {
    case SF_VALUE_BOOL: return v.i != 0;
    case SF_VALUE_INT: return v.i;
    case SF_VALUE_FLOAT: return v.f;
    case SF_VALUE_STRING: return std::string(v.s, v.size);
    case SF_VALUE_ARRAY: {
      Json a = Json::array();
      for (size_t i = 0; i < v.size; ++i) a.push_back(value_json(v.items[i]));
      return a;
    }
    case SF_VALUE_TABLE: {
      Json t = Json::object();
      for (size_t i = 0; i < v.size; ++i) t[v.keys[i]] = value_json(v.items[i]);
      return t;
    }
    default: return nullptr;
  }
}

// The string values of the path-type parameters of a component or resource type.
std::vector<std::pair<std::string, std::string>> path_values(const sf_param_decl* decls, uint32_t n,
                                                             const sf_value* params) {
  std::vector<std::pair<std::string, std::string>> out;
  for (uint32_t d = 0; d < n; ++d) {
    if (decls[d].type != SF_PARAM_PATH && decls[d].type != SF_PARAM_PATH_LIST) continue;
    for (size_t i = 0; i < params->size; ++i) {
      if (std::strcmp(params->keys[i], decls[d].name) != 0) continue;
      const sf_value& v = params->items[i];
      if (v.kind == SF_VALUE_STRING && v.size > 0) out.emplace_back(decls[d].name, std::string(v.s, v.size));
      for (size_t k = 0; v.kind == SF_VALUE_ARRAY && k < v.size; ++k)
        if (v.items[k].kind == SF_VALUE_STRING && v.items[k].size > 0)
          out.emplace_back(decls[d].name, std::string(v.items[k].s, v.items[k].size));
    }
  }
  return out;
}

std::vector<std::string> expand(const std::string& pattern) {
  if (pattern.find_first_of("*?[{") == std::string::npos) return {pattern};
  glob_t g{};
  std::vector<std::string> files;
  if (::glob(pattern.c_str(), GLOB_MARK | GLOB_BRACE, nullptr, &g) == 0)
    for (size_t i = 0; i < g.gl_pathc; ++i)
      if (g.gl_pathv[i][0] != 0 && g.gl_pathv[i][std::strlen(g.gl_pathv[i]) - 1] != '/')
        files.emplace_back(g.gl_pathv[i]);
  globfree(&g);
  std::sort(files.begin(), files.end());
  return files;
}

Json hashed_file(const std::string& path, bool hash) {
  Json f;
  f["path"] = path;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    f["error"] = std::string("cannot stat: ") + std::strerror(errno);
    return f;
  }
  f["size"] = static_cast<uint64_t>(st.st_size);
  f["mtime"] = iso_utc_of(st.st_mtim);
  if (hash) {
    try {
      f["sha256"] = sha256_file(path);
    } catch (const std::exception& e) {
      f["error"] = e.what();
    }
  }
  return f;
}

// A parameter naming a file gives that file; one naming a folder, every regular file under it.
void add_param_files(Json& list, const std::string& owner, const std::string& param,
                     const std::string& path) {
  std::error_code ec;
  std::vector<std::string> files;
  if (fs::is_directory(path, ec)) {
    for (const auto& e : fs::recursive_directory_iterator(path, ec))
      if (e.is_regular_file(ec)) files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
  } else if (fs::is_regular_file(path, ec)) {
    files.push_back(path);
  }
  for (const std::string& f : files) {
    Json j = hashed_file(f, true);
    Json entry;
    entry["owner"] = owner;
    entry["param"] = param;
    for (auto& [k, v] : j.items()) entry[k] = v;
    list.push_back(entry);
  }
}

std::string host_name() {
  char buf[256] = {0};
  if (::gethostname(buf, sizeof(buf) - 1) != 0) return "";
  return buf;
}

}  // namespace

std::string sha256_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open '" + path + "' to hash it: " + std::strerror(errno));
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("OpenSSL cannot start a SHA-256 digest");
  std::vector<char> buf(size_t{1} << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    if (in.gcount() > 0) EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) throw std::runtime_error("cannot read '" + path + "' to hash it");
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &len);
  static const char* kHex = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) {
    hex += kHex[md[i] >> 4];
    hex += kHex[md[i] & 15];
  }
  return hex;
}

std::string sha256_text(const std::string& text) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(text.data(), text.size(), md, &len, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("OpenSSL cannot compute a SHA-256 digest");
  static const char* kHex = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) {
    hex += kHex[md[i] >> 4];
    hex += kHex[md[i] & 15];
  }
  return hex;
}

uint64_t process_read_bytes() {
  std::ifstream io("/proc/self/io");
  std::string key;
  uint64_t value = 0;
  while (io >> key >> value)
    if (key == "rchar:") return value;
  return 0;
}

std::vector<std::string> output_paths(const PipelineSpec& spec) {
  std::vector<std::string> out;
  for (const StageSpec& s : spec.stages) {
    const sf_component* c = s.component.component;
    if (c->kind != SF_SINK) continue;
    for (const auto& [param, path] : path_values(c->params, c->num_params, s.params.root()))
      out.push_back(path);
  }
  return out;
}

Json make_provenance(const PipelineSpec& spec, const RunOptions& options, const RunResult& result,
                     const RunClock& clock) {
  Json p;
  p["seqflow_version"] = SEQFLOW_VERSION;
  p["plugin_abi"] = std::to_string(SF_ABI_MAJOR) + "." + std::to_string(SF_ABI_MINOR);
  p["ok"] = result.ok;

  Json pipeline;
  pipeline["file"] = spec.file;
  try {
    // A pipeline loaded from a string (the embedding API) has no file: its text is what ran.
    pipeline["sha256"] = spec.text.empty() ? sha256_file(spec.file) : sha256_text(spec.text);
  } catch (const std::exception& e) {
    pipeline["error"] = e.what();
  }
  pipeline["overrides"] = spec.overrides;
  Json resolved;
  resolved["name"] = spec.name;
  resolved["threads"] = spec.threads;
  resolved["max_in_flight"] = spec.max_in_flight;
  resolved["on_error"] = spec.skip_errors ? "skip" : "fail";
  resolved["error_log"] = spec.error_log;
  Json resources = Json::array();
  for (const ResourceSpec& r : spec.resources) {
    Json j;
    j["name"] = r.name;
    j["plugin"] = r.plugin;
    j["params"] = value_json(*r.params.root());
    resources.push_back(j);
  }
  resolved["resources"] = resources;
  Json stages = Json::array();
  for (const StageSpec& s : spec.stages) {
    Json j;
    j["name"] = s.name;
    j["plugin"] = s.plugin;
    j["params"] = value_json(*s.params.root());
    if (s.batch.size > 0) j["batch"] = {{"size", s.batch.size}, {"by_length", s.batch.by_length}};
    stages.push_back(j);
  }
  resolved["stages"] = stages;
  pipeline["resolved"] = resolved;
  p["pipeline"] = pipeline;

  std::vector<const LoadedModule*> modules;
  for (const StageSpec& s : spec.stages) modules.push_back(s.component.module);
  for (const ResourceSpec& r : spec.resources) modules.push_back(r.type.module);
  std::sort(modules.begin(), modules.end(),
            [](const LoadedModule* a, const LoadedModule* b) { return a->name < b->name; });
  modules.erase(std::unique(modules.begin(), modules.end()), modules.end());
  Json plugins = Json::array();
  for (const LoadedModule* m : modules) {
    Json j;
    j["module"] = m->name;
    j["version"] = m->module->version != nullptr ? m->module->version : "";
    j["abi"] = std::to_string(m->module->abi_major) + "." + std::to_string(m->module->abi_minor);
    j["path"] = fs::absolute(m->path).lexically_normal().string();
    try {
      j["sha256"] = sha256_file(m->path);
    } catch (const std::exception& e) {
      j["error"] = e.what();
    }
    plugins.push_back(j);
  }
  p["plugins"] = plugins;

  Json files = Json::array();
  for (const ResourceSpec& r : spec.resources)
    for (const auto& [param, path] :
         path_values(r.type.type->params, r.type.type->num_params, r.params.root()))
      add_param_files(files, "resource " + r.name, param, path);
  Json inputs = Json::array();
  Json outputs = Json::array();
  uint64_t hashed_bytes = 0;
  for (const StageSpec& s : spec.stages) {
    const sf_component* c = s.component.component;
    for (const auto& [param, path] : path_values(c->params, c->num_params, s.params.root())) {
      if (c->kind == SF_SOURCE) {
        for (const std::string& f : expand(path)) {
          // Cheap: the first kCheapHashBytes of input in all, and never in a shard that reads only part
          // of the input (hashing every file would read all of it).
          struct stat st {};
          const uint64_t size = ::stat(f.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
          const bool split = options.shard_count > 1 && options.shard_by != ShardBy::kRecord;
          const bool cheap = !split && hashed_bytes + size <= kCheapHashBytes;
          if (cheap) hashed_bytes += size;
          Json j = hashed_file(f, options.hash_inputs || cheap);
          j["stage"] = s.name;
          inputs.push_back(j);
        }
      } else if (c->kind == SF_SINK) {
        outputs.push_back({{"stage", s.name}, {"param", param}, {"path", path}});
      } else {
        add_param_files(files, "stage " + s.name, param, path);
      }
    }
  }
  p["files"] = files;
  p["inputs"] = inputs;
  p["outputs"] = outputs;

  p["shard"] = {
      {"index", result.shard_index}, {"count", result.shard_count}, {"by", shard_by_name(result.shard_by)}};
  p["threads"] = result.threads;
  p["host"] = host_name();
  p["start"] = iso_utc(clock.start);
  p["end"] = iso_utc(clock.end);
  p["wall_seconds"] = result.wall_seconds;

  Json acc;
  uint64_t written = 0, skipped = 0, filtered = 0;
  Json per_stage = Json::array();
  for (const StageSummary& s : result.stages) {
    per_stage.push_back(
        {{"name", s.name}, {"in", s.in}, {"out", s.out}, {"filtered", s.filtered}, {"skipped", s.skipped}});
    skipped += s.skipped;
    filtered += s.filtered;
  }
  for (size_t i = 0; i < spec.stages.size() && i < result.stages.size(); ++i)
    if (spec.stages[i].component.component->kind == SF_SINK) written += result.stages[i].out;
  acc["records_read"] = result.stages.empty() ? 0 : result.stages.front().out;
  acc["records_written"] = written;
  acc["records_skipped"] = skipped;
  acc["records_filtered"] = filtered;
  acc["stages"] = per_stage;
  acc["bytes_read"] = result.bytes_read;
  p["accounting"] = acc;
  return p;
}

std::string write_provenance_files(const PipelineSpec& spec, const nlohmann::ordered_json& prov,
                                   const std::string& extra_path) {
  std::vector<std::string> targets;
  for (const std::string& out : output_paths(spec)) {
    std::string base = out;
    while (base.size() > 1 && base.back() == '/') base.pop_back();
    targets.push_back(base + ".provenance.json");
  }
  if (!extra_path.empty()) targets.push_back(extra_path);
  const std::string text = prov.dump(2) + "\n";
  for (const std::string& t : targets) {
    const std::string tmp = t + ".tmp-" + std::to_string(::getpid());
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out || std::rename(tmp.c_str(), t.c_str()) != 0) {
      std::remove(tmp.c_str());
      return "cannot write the provenance record " + t + ": " + std::strerror(errno);
    }
  }
  return "";
}

}  // namespace seqflow::engine
