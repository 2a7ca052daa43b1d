// utf8proc-backed Unicode helpers (see unicode.hpp).
#include "unicode.hpp"

#include <unicode/uchar.h>
#include <utf8proc.h>

#include <vector>

namespace seqflow::text {

char32_t decode_utf8(std::string_view s, size_t i, size_t& len) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data()) + i;
  const size_t n = s.size() - i;
  const unsigned char b = p[0];
  len = 1;
  if (b < 0x80) return b;
  auto cont = [&](size_t k) { return k < n && (p[k] & 0xC0) == 0x80; };
  if (b >= 0xC2 && b < 0xE0) {
    if (!cont(1)) return 0xFFFD;
    len = 2;
    return ((b & 0x1F) << 6) | (p[1] & 0x3F);
  }
  if (b >= 0xE0 && b < 0xF0) {
    if (!cont(1) || !cont(2)) return 0xFFFD;
    const char32_t c = ((b & 0x0F) << 12) | ((p[1] & 0x3F) << 6) | (p[2] & 0x3F);
    if (c < 0x800 || (c >= 0xD800 && c < 0xE000)) return 0xFFFD;
    len = 3;
    return c;
  }
  if (b >= 0xF0 && b < 0xF5) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0xFFFD;
    const char32_t c = ((b & 0x07) << 18) | ((p[1] & 0x3F) << 12) | ((p[2] & 0x3F) << 6) | (p[3] & 0x3F);
    if (c < 0x10000 || c > 0x10FFFF) return 0xFFFD;
    len = 4;
    return c;
  }
  return 0xFFFD;
}

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

bool valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    if (decode_utf8(s, i, len) == 0xFFFD && len == 1) return false;
    i += len;
  }
  return true;
}

static inline utf8proc_category_t cat(char32_t c) {
  return utf8proc_category(static_cast<utf8proc_int32_t>(c));
}

bool is_whitespace(char32_t c) {
  if (c < 0x80) return c == ' ' || (c >= 0x09 && c <= 0x0D);
  switch (c) {
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000: return true;
    default: return c >= 0x2000 && c <= 0x200A;
  }
}
bool is_letter(char32_t c) {
  if (c < 0x80) return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
  const auto k = cat(c);
  return k >= UTF8PROC_CATEGORY_LU && k <= UTF8PROC_CATEGORY_LO;
}
bool is_number(char32_t c) {
  if (c < 0x80) return c >= '0' && c <= '9';
  const auto k = cat(c);
  return k >= UTF8PROC_CATEGORY_ND && k <= UTF8PROC_CATEGORY_NO;
}
bool is_mark(char32_t c) {
  const auto k = cat(c);
  return k >= UTF8PROC_CATEGORY_MN && k <= UTF8PROC_CATEGORY_ME;
}
bool is_mark_nonspacing(char32_t c) { return cat(c) == UTF8PROC_CATEGORY_MN; }
bool is_punctuation(char32_t c) {
  const auto k = cat(c);
  return k >= UTF8PROC_CATEGORY_PC && k <= UTF8PROC_CATEGORY_PO;
}
bool is_other_cc_cf_co(char32_t c) {
  const auto k = cat(c);
  return k == UTF8PROC_CATEGORY_CC || k == UTF8PROC_CATEGORY_CF || k == UTF8PROC_CATEGORY_CO;
}
bool is_word_char(char32_t c) {
  if (c < 0x80) return is_letter(c) || (c >= '0' && c <= '9') || c == '_';
  // Rust regex's Unicode \w (UTS #18): Alphabetic, marks, decimal digits, connector punctuation and
  // Join_Control (ZWJ, ZWNJ); ICU has the Alphabetic and Join_Control properties.
  const auto k = cat(c);
  return u_hasBinaryProperty(static_cast<UChar32>(c), UCHAR_ALPHABETIC) ||
         (k >= UTF8PROC_CATEGORY_MN && k <= UTF8PROC_CATEGORY_ME) || k == UTF8PROC_CATEGORY_ND ||
         k == UTF8PROC_CATEGORY_PC || c == 0x200C || c == 0x200D;
}
int combining_class(char32_t c) {
  return utf8proc_get_property(static_cast<utf8proc_int32_t>(c))->combining_class;
}

namespace {
utf8proc_option_t options_of(NormForm f) {
  switch (f) {
    case NormForm::kNfc: return static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE);
    case NormForm::kNfd: return static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_DECOMPOSE);
    case NormForm::kNfkc:
      return static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT);
    default: return static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT);
  }
}

// Characters that can be the second element of a canonical composition while being starters
// (Hangul vowels and trailing consonants, some Indic vowel signs): a chunk must not start with one.
const std::vector<bool>& composition_seconds() {
  static const std::vector<bool> table = [] {
    std::vector<bool> t(0x110000, false);
    utf8proc_int32_t buf[8];
    for (utf8proc_int32_t c = 0x80; c < 0x110000; ++c) {
      int last = 0;
      const auto n = utf8proc_decompose_char(c, buf, 8, UTF8PROC_DECOMPOSE, &last);
      if (n >= 2 && n <= 8 && utf8proc_get_property(buf[n - 1])->combining_class == 0) t[buf[n - 1]] = true;
    }
    return t;
  }();
  return table;
}
}  // namespace

void normalize_append(std::string_view s, NormForm form, std::string& out) {
  thread_local std::vector<utf8proc_int32_t> cps;
  cps.clear();
  cps.reserve(s.size() * 2 + 8);
  const utf8proc_option_t opt = options_of(form);
  for (size_t i = 0; i < s.size();) {
    size_t len = 0;
    const char32_t c = decode_utf8(s, i, len);
    i += len;
    utf8proc_int32_t buf[32];
    int last = 0;
    const auto n = utf8proc_decompose_char(
        static_cast<utf8proc_int32_t>(c), buf, 32,
        static_cast<utf8proc_option_t>((opt & ~UTF8PROC_COMPOSE) | UTF8PROC_DECOMPOSE), &last);
    for (utf8proc_ssize_t k = 0; k < n && k < 32; ++k) cps.push_back(buf[k]);
  }
  const auto n = utf8proc_normalize_utf32(cps.data(), static_cast<utf8proc_ssize_t>(cps.size()), opt);
  for (utf8proc_ssize_t k = 0; k < n; ++k) append_utf8(out, static_cast<char32_t>(cps[k]));
}

bool norm_boundary_before(char32_t c) {
  if (c < 0x80) return true;
  if (combining_class(c) != 0 || composition_seconds()[c]) return false;
  utf8proc_int32_t buf[32];
  int last = 0;
  const auto n =
      utf8proc_decompose_char(static_cast<utf8proc_int32_t>(c), buf, 32,
                              static_cast<utf8proc_option_t>(UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT), &last);
  if (n < 1) return true;
  return combining_class(buf[0]) == 0 && !composition_seconds()[buf[0]];
}

void append_lower(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  } else if (c == 0x130) {
    append_utf8(out, 'i');
    append_utf8(out, 0x307);
  } else {
    append_utf8(out, static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(c))));
  }
}

}  // namespace seqflow::text
