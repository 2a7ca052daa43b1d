// `seqflow merge OUTPUT [SHARD...]`: the N shards of a run combined into what one run would have written.
//
// Shards split by file or by bytes hold contiguous parts of the input in shard order, so their decoded
// outputs concatenate (a TSV header kept once); shards split by record hold positions I, I+N, ..., so
// their records interleave, which is exact only when every record reached the output (the shards'
// provenance says so, or the merge is refused). The bytes are re-encoded as the writer would have
// (merge_codec.hpp), .npy folders are joined, stats JSON files are summed, error logs concatenated.
#include "merge.hpp"

#include "merge_codec.hpp"
#include "provenance.hpp"
#include "shard_plan.hpp"

#include <glob.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>

namespace seqflow::engine {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

enum class Format { kLines, kTsv, kFasta, kFastq };

struct Shard {
  std::string path;
  Json provenance;  // null when the file has none beside it (error logs)
};

Json read_json(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  Json j = Json::parse(in, nullptr, false);
  if (j.is_discarded()) throw MergeError("'" + path + "' is not JSON", true);
  return j;
}

// OUTPUT's shards by name: OUTPUT with .shard-I-of-N, every I of one N.
std::vector<std::string> discover(const std::string& output) {
  std::string pattern = shard_file_name(output, 0, 2);
  pattern.replace(pattern.rfind(".shard-0-of-2"), 13, ".shard-*-of-*");
  glob_t g{};
  std::vector<std::string> found;
  if (::glob(pattern.c_str(), GLOB_MARK, nullptr, &g) == 0)
    for (size_t i = 0; i < g.gl_pathc; ++i) {
      std::string p = g.gl_pathv[i];
      if (p.ends_with(".provenance.json") && !output.ends_with(".provenance.json")) continue;
      if (p.size() > 1 && p.back() == '/') p.pop_back();
      found.push_back(p);
    }
  globfree(&g);
  if (found.empty())
    throw MergeError("no shard of '" + output + "' found (looked for " + pattern +
                         "); name the shard files after OUTPUT, or run the shards without --no-shard-names",
                     true);
  const std::regex re(R"(\.shard-([0-9]+)-of-([0-9]+))");
  std::map<uint64_t, std::string> by_index;
  uint64_t count = 0;
  for (const std::string& p : found) {
    std::smatch m;
    const std::string name = fs::path(p).filename().string();
    if (!std::regex_search(name, m, re)) continue;
    const uint64_t i = std::stoull(m[1]), n = std::stoull(m[2]);
    if (count != 0 && n != count)
      throw MergeError("shards of different runs: " + by_index.begin()->second + " is one of " +
                           std::to_string(count) + ", " + p + " one of " + std::to_string(n),
                       true);
    count = n;
    by_index[i] = p;
  }
  for (uint64_t i = 0; i < count; ++i)
    if (by_index.count(i) == 0)
      throw MergeError("shard " + std::to_string(i) + " of " + std::to_string(count) + " of '" + output +
                           "' is missing (" +
                           shard_file_name(output, static_cast<uint32_t>(i), static_cast<uint32_t>(count)) +
                           "): run it, then merge",
                       true);
  std::vector<std::string> out;
  for (auto& [i, p] : by_index) out.push_back(p);
  return out;
}

Format format_of(const std::string& output) {
  std::string name = fs::path(output).filename().string();
  for (const char* z : {".gz", ".bgz", ".bgzf"})
    if (name.ends_with(z)) name.resize(name.size() - std::strlen(z));
  auto ends = [&](std::initializer_list<const char*> exts) {
    return std::any_of(exts.begin(), exts.end(), [&](const char* e) { return name.ends_with(e); });
  };
  if (ends({".tsv", ".tab"})) return Format::kTsv;
  if (ends({".fq", ".fastq"})) return Format::kFastq;
  if (ends({".fa", ".fasta", ".fna", ".fas"})) return Format::kFasta;
  return Format::kLines;
}

// The resolved parameters of the stage that wrote `path` (from its provenance), or an empty object.
Json writer_params(const Json& prov, const std::string& path) {
  if (!prov.is_object()) return Json::object();
  for (const Json& o : prov.value("outputs", Json::array())) {
    if (o.value("path", "") != path) continue;
    for (const Json& s : prov["pipeline"]["resolved"]["stages"])
      if (s.value("name", "") == o.value("stage", "")) return s.value("params", Json::object());
  }
  return Json::object();
}

// One output record at a time, from a shard's decoded bytes.
class Records {
 public:
  Records(const std::string& path, Format f) : dec_(path), format_(f) {}
  bool next(std::string& rec) {
    rec.clear();
    if (!have_ && !dec_.line(line_)) return false;
    have_ = false;
    rec = line_;
    if (format_ == Format::kFastq) {
      for (int i = 0; i < 3 && dec_.line(line_); ++i) rec += line_;
    } else if (format_ == Format::kFasta) {
      while (dec_.line(line_)) {
        if (!line_.empty() && line_[0] == '>') {
          have_ = true;
          break;
        }
        rec += line_;
      }
    }
    return true;
  }

 private:
  ShardDecoder dec_;
  Format format_;
  std::string line_;
  bool have_ = false;  // line_ holds the next record's first line
};

bool every_record_written(const Json& prov) {
  for (const Json& s : prov["accounting"]["stages"])
    if (s.value("in", 0) != s.value("out", 0) || s.value("filtered", 0) != 0 || s.value("skipped", 0) != 0)
      return false;
  return true;
}

void merge_stream(const std::vector<Shard>& shards, const std::string& output, const std::string& by) {
  const Format format = format_of(output);
  const Json params = writer_params(shards[0].provenance, shards[0].path);
  const bool header = format == Format::kTsv && params.value("header", true);
  const Encoding encoding = sniff_encoding(shards[0].path);
  for (const Shard& s : shards)
    if (sniff_encoding(s.path) != encoding)
      throw MergeError("shards are compressed differently: " + shards[0].path + " and " + s.path, true);
  MergeEncoder out(output, encoding, static_cast<int>(params.value("level", 6)));
  std::string rec;
  if (by == "record" && shards.size() > 1) {
    for (const Shard& s : shards)
      if (s.provenance.is_null() || !every_record_written(s.provenance))
        throw MergeError(s.path +
                             ": shards split by record interleave back into one run only when every record "
                             "reached the output (no filter, skip or split, as this shard's provenance shows "
                             "otherwise); split by file or bytes, whose shards concatenate",
                         true);
    std::vector<std::unique_ptr<Records>> readers;
    for (const Shard& s : shards) readers.push_back(std::make_unique<Records>(s.path, format));
    for (size_t k = 0; header && k < readers.size(); ++k) {
      readers[k]->next(rec);
      if (k == 0) out.write(rec);
    }
    size_t exhausted_at = shards.size();
    for (bool any = true; any;) {
      any = false;
      for (size_t k = 0; k < readers.size(); ++k) {
        if (!readers[k]->next(rec)) {
          exhausted_at = std::min(exhausted_at, k);
          continue;
        }
        if (k > exhausted_at)
          throw MergeError(shards[k].path + " has more records than an earlier shard can interleave with",
                           true);
        out.write(rec);
        any = true;
      }
      if (any) exhausted_at = shards.size();
    }
  } else {
    std::string head;
    bool head_written = false;
    std::vector<char> buf(size_t{1} << 20);
    for (const Shard& s : shards) {
      ShardDecoder dec(s.path);
      if (header) {
        std::string h;
        dec.line(h);
        std::string first;
        const bool rows = dec.line(first);
        if (!rows) {
          if (head.empty()) head = h;
          continue;  // a shard without rows writes the listed fields' header only
        }
        if (!head_written) {
          out.write(h);
          head = h;
          head_written = true;
        } else if (h != head) {
          throw MergeError(s.path + ": its TSV header differs from the earlier shards'", true);
        }
        out.write(first);
      }
      for (size_t n; (n = dec.read(buf.data(), buf.size())) > 0;) out.write(buf.data(), n);
    }
    if (header && !head_written) out.write(head);
  }
  out.commit();
}

void merge_folders(const std::vector<Shard>& shards, const std::string& output) {
  const fs::path tmp = output + ".merging";
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  for (const Shard& s : shards)
    for (const auto& e : fs::directory_iterator(s.path)) {
      const fs::path to = tmp / e.path().filename();
      if (fs::exists(to))
        throw MergeError(e.path().string() + ": another shard wrote a file of that name (ids must be unique)",
                         true);
      fs::copy_file(e.path(), to);
    }
  if (fs::exists(output)) fs::remove_all(output);
  fs::rename(tmp, output);
}

void merge_stats(const std::vector<std::string>& paths, const std::string& output) {
  Json merged = read_json(paths[0]);
  std::vector<Json> all;
  for (const std::string& p : paths) all.push_back(read_json(p));
  for (size_t k = 1; k < all.size(); ++k) {
    const Json& s = all[k];
    merged["ok"] = merged.value("ok", false) && s.value("ok", false);
    merged["wall_seconds"] = std::max(merged.value("wall_seconds", 0.0), s.value("wall_seconds", 0.0));
    merged["cpu_seconds"] = merged.value("cpu_seconds", 0.0) + s.value("cpu_seconds", 0.0);
    merged["peak_live_records"] =
        std::max(merged.value("peak_live_records", uint64_t{0}), s.value("peak_live_records", uint64_t{0}));
    if (s["stages"].size() != merged["stages"].size())
      throw MergeError(paths[k] + " is the stats of another pipeline (its stages differ)", true);
    for (size_t i = 0; i < merged["stages"].size(); ++i) {
      Json& m = merged["stages"][i];
      const Json& x = s["stages"][i];
      if (m.value("name", "") != x.value("name", ""))
        throw MergeError(paths[k] + " is the stats of another pipeline (stage " + x.value("name", "") + ")",
                         true);
      for (const char* key : {"in", "out", "filtered", "skipped", "calls"})
        m[key] = m.value(key, uint64_t{0}) + x.value(key, uint64_t{0});
      m["busy_seconds"] = m.value("busy_seconds", 0.0) + x.value("busy_seconds", 0.0);
    }
  }
  merged.erase("shard");
  merged.erase("shard_by");
  merged.erase("provenance");
  merged["merged_from"] = paths;
  AtomicFile f(output);
  f.write(merged.dump(2) + "\n");
  f.commit();
}

// The merged run's provenance: shard 0's, with the shards' inputs, times and accounting combined.
Json merged_provenance(const std::vector<Shard>& shards, const std::string& output) {
  Json p = shards[0].provenance;
  const std::string sha = p["pipeline"].value("sha256", "");
  Json inputs = Json::array(), from = Json::array();
  for (const Shard& s : shards) {
    if (s.provenance["pipeline"].value("sha256", "") != sha)
      throw MergeError(s.path + " was made by another pipeline file than " + shards[0].path +
                           " (their provenance records differ in its sha256)",
                       true);
    for (const Json& in : s.provenance["inputs"]) inputs.push_back(in);
    from.push_back({{"path", s.path}, {"sha256", sha256_file(s.path)}});
    p["ok"] = p.value("ok", false) && s.provenance.value("ok", false);
    p["start"] = std::min(p.value("start", ""), s.provenance.value("start", ""));
    p["end"] = std::max(p.value("end", ""), s.provenance.value("end", ""));
  }
  for (size_t k = 1; k < shards.size(); ++k) {
    Json& acc = p["accounting"];
    const Json& x = shards[k].provenance["accounting"];
    for (const char* key : {"records_read", "records_written", "records_skipped", "records_filtered"})
      acc[key] = acc.value(key, uint64_t{0}) + x.value(key, uint64_t{0});
    for (size_t i = 0; i < acc["stages"].size() && i < x["stages"].size(); ++i)
      for (const char* key : {"in", "out", "filtered", "skipped"})
        acc["stages"][i][key] =
            acc["stages"][i].value(key, uint64_t{0}) + x["stages"][i].value(key, uint64_t{0});
  }
  p["inputs"] = inputs;
  p["shard"] = {{"index", 0}, {"count", 1}, {"by", shards[0].provenance["shard"].value("by", "record")}};
  p["outputs"] = Json::array({{{"path", output}}});
  p["merged_from"] = from;
  return p;
}

}  // namespace

std::string merge_shards(const std::string& output, std::vector<std::string> inputs) {
  if (inputs.empty()) inputs = discover(output);
  for (const std::string& p : inputs)
    if (!fs::exists(p)) throw MergeError("shard '" + p + "' does not exist", true);
  const bool stats =
      output.ends_with(".json") && !fs::is_directory(inputs[0]) && read_json(inputs[0]).contains("stages");
  if (stats) {
    merge_stats(inputs, output);
    return "merged the stats of " + std::to_string(inputs.size()) + " shards into " + output;
  }
  std::vector<Shard> shards;
  size_t with_provenance = 0;
  for (const std::string& p : inputs) {
    Shard s{p, nullptr};
    const std::string prov = p + ".provenance.json";
    if (fs::exists(prov)) {
      s.provenance = read_json(prov);
      ++with_provenance;
    }
    shards.push_back(std::move(s));
  }
  if (with_provenance != 0 && with_provenance != shards.size())
    throw MergeError("some shards have a provenance record and others not: were they made by one run?", true);
  std::string by = "file";  // without provenance (error logs), shards concatenate in order
  if (with_provenance != 0) {
    by = shards[0].provenance["shard"].value("by", "record");
    for (size_t k = 0; k < shards.size(); ++k) {
      const Json& sh = shards[k].provenance["shard"];
      if (sh.value("count", 0u) != shards.size() || sh.value("index", 0u) != k || sh.value("by", "") != by)
        throw MergeError(shards[k].path + " is shard " + sh.value("index", Json(0)).dump() + "/" +
                             sh.value("count", Json(0)).dump() + " by " + sh.value("by", "?") +
                             ", not shard " + std::to_string(k) + "/" + std::to_string(shards.size()) +
                             " by " + by + ": list the shards of one run in order",
                         true);
      if (!shards[k].provenance.value("ok", false))
        throw MergeError(shards[k].path + ": its run failed (see its provenance); rerun that shard", true);
    }
  }
  // Checked before anything is written: shards of different pipelines are refused.
  const Json provenance = with_provenance != 0 ? merged_provenance(shards, output) : Json();
  if (fs::is_directory(inputs[0])) merge_folders(shards, output);
  else merge_stream(shards, output, by);
  if (with_provenance != 0) {
    AtomicFile f(output + ".provenance.json");
    f.write(provenance.dump(2) + "\n");
    f.commit();
  }
  return "merged " + std::to_string(shards.size()) + " shards (split by " + by + ") into " + output;
}

}  // namespace seqflow::engine
