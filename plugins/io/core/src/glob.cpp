#include "io/glob.hpp"

#include <seqflow/sdk.hpp>

#include <algorithm>
#include <set>

#include <glob.h>

namespace seqflow::io {
namespace {

bool has_wildcard(const std::string& p) { return p.find_first_of("*?[{") != std::string::npos; }

struct GlobResult {
  glob_t g{};
  ~GlobResult() { globfree(&g); }
};

}  // namespace

std::vector<std::string> expand_paths(const std::vector<std::string>& patterns) {
  if (patterns.empty()) throw Error("`paths` is empty: list at least one file or glob pattern");
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const std::string& pattern : patterns) {
    GlobResult r;
    int rc = glob(pattern.c_str(), GLOB_MARK | GLOB_NOSORT | GLOB_BRACE, nullptr, &r.g);
    if (rc == GLOB_ABORTED) throw Error("cannot list the folders of pattern '" + pattern + "'", SF_ERR_IO);
    if (rc == GLOB_NOSPACE) throw Error("out of memory expanding pattern '" + pattern + "'", SF_ERR_INTERNAL);
    std::vector<std::string> files;
    for (size_t i = 0; rc == 0 && i < r.g.gl_pathc; ++i) {
      std::string p = r.g.gl_pathv[i];
      if (!p.empty() && p.back() != '/') files.push_back(std::move(p));  // GLOB_MARK: folders end in '/'
    }
    if (files.empty()) {
      if (has_wildcard(pattern))
        throw Error("no file matches the pattern '" + pattern + "' (check the folder and the wildcard)",
                    SF_ERR_IO);
      throw Error("file '" + pattern + "' does not exist or is a folder", SF_ERR_IO);
    }
    std::sort(files.begin(), files.end());
    for (std::string& f : files)
      if (seen.insert(f).second) out.push_back(std::move(f));
  }
  return out;
}

}  // namespace seqflow::io
