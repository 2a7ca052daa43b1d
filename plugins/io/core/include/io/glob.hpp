// Path pattern expansion for the io readers' `paths` parameters.
//
// Each pattern is a shell glob (* ? [..] {a,b}); its matches are sorted by byte value, patterns keep
// the order they are given in, a file matched twice is listed once, and folders are left out.
// Errors: seqflow::Error naming the pattern when it matches no file ("what to do" included), or when
// a folder cannot be read.
#pragma once

#include <string>
#include <vector>

namespace seqflow::io {

std::vector<std::string> expand_paths(const std::vector<std::string>& patterns);

}  // namespace seqflow::io
