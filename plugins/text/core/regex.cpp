// PCRE2 wrapper (see regex.hpp).
#define PCRE2_CODE_UNIT_WIDTH 8
#include "regex.hpp"

#include <pcre2.h>

#include "pipeline.hpp"

namespace seqflow::text {

Regex::Regex(const std::string& pattern) : pattern_(pattern) {
  int err = 0;
  PCRE2_SIZE off = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                   PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF, &err, &off, nullptr);
  if (code == nullptr) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(err, msg, sizeof(msg));
    throw TokenizerError("invalid regex at offset " + std::to_string(off) + ": " +
                         reinterpret_cast<const char*>(msg) + " in pattern " + pattern);
  }
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  // falls back to the interpreter where JIT is absent
  code_ = code;
}

Regex::~Regex() { pcre2_code_free(static_cast<pcre2_code*>(code_)); }

namespace {
struct MatchData {
  pcre2_match_data* md = nullptr;
  ~MatchData() { pcre2_match_data_free(md); }
};
}  // namespace

void Regex::find_all(std::string_view s, std::vector<std::pair<size_t, size_t>>& out) const {
  thread_local MatchData tl;
  if (tl.md == nullptr) tl.md = pcre2_match_data_create(4, nullptr);
  auto* code = static_cast<pcre2_code*>(code_);
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(s.data());
  size_t at = 0;
  while (at <= s.size()) {
    const int rc = pcre2_match(code, subject, s.size(), at, 0, tl.md, nullptr);
    if (rc < 0) break;
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(tl.md);
    const size_t b = ov[0], e = ov[1];
    if (e == b) {
      // An empty match is reported (Split keeps it as a boundary); then step over one character.
      out.emplace_back(b, e);
      if (b >= s.size()) break;
      size_t n = 1;
      while (b + n < s.size() && (static_cast<unsigned char>(s[b + n]) & 0xC0) == 0x80) ++n;
      at = b + n;
      continue;
    }
    out.emplace_back(b, e);
    at = e;
  }
}

}  // namespace seqflow::text
