// `seqflow provenance FILE`: a provenance record (or a --stats file holding one) as readable text.
#include "provenance.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace seqflow::engine {
namespace {

using Json = nlohmann::ordered_json;

std::string str(const Json& j, const char* key) {
  if (!j.is_object() || !j.contains(key)) return "?";
  const Json& v = j[key];
  return v.is_string() ? v.get<std::string>() : v.dump();
}

std::string file_line(const Json& f) {
  std::string line = str(f, "path");
  if (f.contains("size")) line += "  " + str(f, "size") + " bytes";
  if (f.contains("mtime")) line += "  modified " + str(f, "mtime");
  if (f.contains("sha256")) line += "  sha256 " + str(f, "sha256");
  if (f.contains("error")) line += "  (" + str(f, "error") + ")";
  return line;
}

}  // namespace

std::string print_provenance(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open '" + path + "': check the path");
  Json doc = Json::parse(in, nullptr, false);
  if (doc.is_discarded())
    throw std::runtime_error("'" + path + "' is not JSON: name a .provenance.json or --stats file");
  if (doc.is_object() && doc.contains("provenance")) doc = doc["provenance"];
  if (!doc.is_object() || !doc.contains("seqflow_version") || !doc.contains("pipeline"))
    throw std::runtime_error("'" + path +
                             "' holds no provenance record (no seqflow_version and pipeline keys): name a "
                             ".provenance.json file or a --stats file");
  std::ostringstream o;
  const Json& shard = doc.value("shard", Json::object());
  o << "seqflow " << str(doc, "seqflow_version") << " (plugin ABI " << str(doc, "plugin_abi") << "), "
    << (doc.value("ok", false) ? "succeeded" : "FAILED") << "\n";
  o << "  host " << str(doc, "host") << ", " << str(doc, "threads") << " threads, shard "
    << str(shard, "index") << "/" << str(shard, "count") << "\n";
  o << "  from " << str(doc, "start") << " to " << str(doc, "end") << " (" << str(doc, "wall_seconds")
    << " s)\n";
  const Json& p = doc["pipeline"];
  o << "pipeline " << str(p, "file") << "\n  sha256 " << str(p, "sha256") << "\n";
  for (const Json& s : p.value("overrides", Json::array())) o << "  --set " << s.get<std::string>() << "\n";
  const Json& resolved = p.value("resolved", Json::object());
  for (const Json& r : resolved.value("resources", Json::array()))
    o << "  resource " << str(r, "name") << " (" << str(r, "plugin")
      << "): " << r.value("params", Json()).dump() << "\n";
  for (const Json& s : resolved.value("stages", Json::array()))
    o << "  stage " << str(s, "name") << " (" << str(s, "plugin") << "): " << s.value("params", Json()).dump()
      << "\n";
  o << "plugins\n";
  for (const Json& m : doc.value("plugins", Json::array()))
    o << "  " << str(m, "module") << " " << str(m, "version") << " (ABI " << str(m, "abi") << ")  "
      << str(m, "path") << "  sha256 " << str(m, "sha256") << "\n";
  const Json& files = doc.value("files", Json::array());
  if (!files.empty()) o << "files named by resources and stages\n";
  for (const Json& f : files)
    o << "  " << str(f, "owner") << "." << str(f, "param") << "  " << file_line(f) << "\n";
  o << "inputs\n";
  for (const Json& f : doc.value("inputs", Json::array())) o << "  " << file_line(f) << "\n";
  o << "outputs\n";
  for (const Json& f : doc.value("outputs", Json::array()))
    o << "  " << str(f, "stage") << "  " << str(f, "path") << "\n";
  const Json& acc = doc.value("accounting", Json::object());
  o << "records: " << str(acc, "records_read") << " read, " << str(acc, "records_written") << " written, "
    << str(acc, "records_skipped") << " skipped, " << str(acc, "records_filtered") << " filtered\n";
  for (const Json& s : acc.value("stages", Json::array()))
    o << "  " << str(s, "name") << ": in " << str(s, "in") << ", out " << str(s, "out") << ", filtered "
      << str(s, "filtered") << ", skipped " << str(s, "skipped") << "\n";
  return o.str();
}

}  // namespace seqflow::engine
