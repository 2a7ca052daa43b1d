#include "fastx_reader.hpp"

#include "seq_tables.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstring>

namespace seqflow::dna {
namespace {

// True if any byte is not allowed in a sequence line (seq_tables.hpp: kSeqInvalid): a letter, '-', '.'
// or '*'. 16 bytes per step with SSE2 (part of x86-64), the last step overlapping the one before so that
// no scalar tail runs; shorter lines and other CPUs use the byte loop, which compilers vectorise too.
inline bool has_invalid_base(const char* p, size_t n) {
#if defined(__SSE2__)
  if (n >= 16) {
    const __m128i lower = _mm_set1_epi8(0x20), a = _mm_set1_epi8('a'), z_span = _mm_set1_epi8(25);
    const __m128i dash = _mm_set1_epi8('-'), dot = _mm_set1_epi8('.'), star = _mm_set1_epi8('*');
    const auto bad_in = [&](const char* at) {
      const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(at));
      const __m128i x = _mm_sub_epi8(_mm_or_si128(c, lower), a);
      __m128i ok = _mm_cmpeq_epi8(_mm_min_epu8(x, z_span), x);  // unsigned x <= 25: a letter
      ok = _mm_or_si128(ok, _mm_or_si128(_mm_cmpeq_epi8(c, dash),
                                         _mm_or_si128(_mm_cmpeq_epi8(c, dot), _mm_cmpeq_epi8(c, star))));
      return _mm_movemask_epi8(ok) != 0xffff;
    };
    for (size_t i = 0; i + 16 <= n; i += 16)
      if (bad_in(p + i)) return true;
    return bad_in(p + n - 16);
  }
#endif
  uint8_t bad = 0;
  for (size_t i = 0; i < n; ++i) {
    const uint8_t c = static_cast<uint8_t>(p[i]);
    const uint8_t not_letter = static_cast<uint8_t>((c | 0x20) - 'a') > 25;
    bad |= not_letter & (c != '-') & (c != '.') & (c != '*');
  }
  return bad != 0;
}

// True if any quality byte lies outside [lo, '~']; the same scheme as has_invalid_base.
inline bool has_invalid_quality(const char* p, size_t n, uint8_t lo) {
  const uint8_t span = static_cast<uint8_t>('~' - lo);
#if defined(__SSE2__)
  if (n >= 16) {
    const __m128i low = _mm_set1_epi8(static_cast<char>(lo)), top = _mm_set1_epi8(static_cast<char>(span));
    const auto bad_in = [&](const char* at) {
      const __m128i x = _mm_sub_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(at)), low);
      return _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(x, top), x)) != 0xffff;
    };
    for (size_t i = 0; i + 16 <= n; i += 16)
      if (bad_in(p + i)) return true;
    return bad_in(p + n - 16);
  }
#endif
  uint8_t bad = 0;
  for (size_t i = 0; i < n; ++i) bad |= static_cast<uint8_t>(static_cast<uint8_t>(p[i]) - lo) > span;
  return bad != 0;
}

inline void phred64_to_33(char* p, size_t n) {
  for (size_t i = 0; i < n; ++i) p[i] = static_cast<char>(p[i] - 31);
}

std::string show_byte(uint8_t c) {
  char b[16];
  if (c >= 0x21 && c < 0x7f) std::snprintf(b, sizeof(b), "'%c'", c);
  else std::snprintf(b, sizeof(b), "byte 0x%02x", c);
  return b;
}

std::string first_bytes(const char* p, size_t n) {
  std::string out;
  for (size_t i = 0; i < std::min<size_t>(n, 8); ++i) {
    char b[8];
    std::snprintf(b, sizeof(b), "%s%02x", i == 0 ? "" : " ", static_cast<uint8_t>(p[i]));
    out += b;
  }
  return out;
}

}  // namespace

void split_header_text(std::string_view text, std::string_view& id, std::string_view& description) {
  // Eight bytes per step (SWAR): a byte equal to ' ' or '\t' becomes zero after the XOR, and the
  // classic "has zero byte" test finds the first one without a branch per byte.
  static_assert(std::endian::native == std::endian::little);
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  size_t sep = 0;
  const size_t n = text.size();
  for (; sep + 8 <= n; sep += 8) {
    uint64_t w;
    std::memcpy(&w, text.data() + sep, 8);
    const uint64_t sp = w ^ (kOnes * ' ');
    const uint64_t tab = w ^ (kOnes * '\t');
    const uint64_t hit = ((sp - kOnes) & ~sp & kHigh) | ((tab - kOnes) & ~tab & kHigh);
    if (hit != 0) {
      sep += static_cast<size_t>(__builtin_ctzll(hit)) / 8;  // little-endian: lowest set byte is first
      break;
    }
  }
  if (sep >= n || (text[sep] != ' ' && text[sep] != '\t')) {
    for (sep = std::min(sep, n); sep < n && text[sep] != ' ' && text[sep] != '\t'; ++sep) {
    }
  }
  id = text.substr(0, sep);
  description = sep < n ? text.substr(sep + 1) : std::string_view();
}

FastxReader::FastxReader(std::unique_ptr<ByteSource> source, std::string name, Format format,
                         ReaderOptions options)
    : source_(std::move(source)), name_(std::move(name)), format_(format), opt_(options) {
  if (opt_.prefetch) source_ = prefetch(std::move(source_));
  buf_.resize(std::max<size_t>(opt_.buffer_bytes, 16));
}

std::unique_ptr<FastxReader> FastxReader::open(const std::string& path, Format format,
                                               ReaderOptions options) {
  Compression kind = Compression::kNone;
  std::unique_ptr<ByteSource> src;
  try {
    src = open_input(path, &kind);
  } catch (const InputError& e) {
    throw FormatError(path, e.what(), false);
  }
  // Decompression is worth a thread; plain reads are not.
  if (kind == Compression::kNone) options.prefetch = false;
  return std::make_unique<FastxReader>(std::move(src), path, format, options);
}

std::string FastxReader::where(uint64_t line) const {
  return name_ + ":record " + std::to_string(record_) + " (line " + std::to_string(line) + ")";
}

void FastxReader::fail(uint64_t line, const std::string& reason, bool recoverable) const {
  throw FormatError(where(line), reason, recoverable);
}

void FastxReader::note(uint64_t line, const std::string& reason) {
  if (pending_.empty()) {
    pending_line_ = line;
    pending_ = reason;
  }
}

bool FastxReader::more(bool speculative) {
  if (eof_) {
    // A damaged stream is reported where the parser runs out of good data, not where reading ahead hit it.
    if (!stream_error_.empty()) fail(line_ + 1, stream_error_, false);
    return false;
  }
  if (rec_ > 0) {
    std::memmove(buf_.data(), buf_.data() + rec_, end_ - rec_);
    cur_ -= rec_;
    end_ -= rec_;
    rec_ = 0;
  }
  if (end_ == buf_.size()) {
    if (buf_.size() >= opt_.max_record_bytes) {
      fail(line_ + 1,
           "a " + std::string(format_ == Format::kFasta ? "line" : "record") + " is longer than " +
               std::to_string(opt_.max_record_bytes) +
               " bytes; the file is probably not text (or raise max_record_bytes)",
           false);
    }
    buf_.resize(std::min(buf_.size() * 2, std::max(opt_.max_record_bytes, buf_.size())));
  }
  size_t n = 0;
  try {
    n = source_->read(buf_.data() + end_, buf_.size() - end_);
  } catch (const InputError& e) {
    if (!speculative) fail(line_ + 1, e.what(), false);
    stream_error_ = e.what();
    eof_ = true;
    return false;
  }
  if (n == 0) {
    eof_ = true;
    return false;
  }
  end_ += n;
  return true;
}

bool FastxReader::read_line(Line& l) {
  size_t scanned = 0;
  for (;;) {
    const char* from = buf_.data() + cur_ + scanned;
    const void* nl = std::memchr(from, '\n', end_ - cur_ - scanned);
    if (nl != nullptr) {
      const size_t e = static_cast<size_t>(static_cast<const char*>(nl) - buf_.data());
      l.off = cur_ - rec_;
      l.len = e - cur_;
      if (l.len > 0 && buf_[e - 1] == '\r') --l.len;
      cur_ = e + 1;
      ++line_;
      return true;
    }
    scanned = end_ - cur_;
    if (!more()) {
      if (cur_ == end_) return false;
      l.off = cur_ - rec_;
      l.len = end_ - cur_;
      if (buf_[end_ - 1] == '\r') --l.len;
      cur_ = end_;
      ++line_;
      return true;
    }
  }
}

bool FastxReader::take_line(Line& l, size_t len) {
  if (end_ - cur_ <= len || buf_[cur_ + len] != '\n') return false;
  l.off = cur_ - rec_;
  l.len = len;
  cur_ += len + 1;
  ++line_;
  return true;
}

int FastxReader::peek() {
  while (cur_ == end_) {
    if (!more()) return -1;
  }
  return static_cast<uint8_t>(buf_[cur_]);
}

void FastxReader::skip_blank_lines() {
  for (;;) {
    rec_ = cur_;
    int c = peek();
    if (c != '\n' && c != '\r') return;
    Line l;
    read_line(l);
    if (l.len != 0) {
      // A lone '\r' line is blank; anything else is not, so step back.
      cur_ = rec_ + l.off;
      --line_;
      return;
    }
  }
}

void FastxReader::skip_until(char c) {
  for (;;) {
    rec_ = cur_;
    int p = peek();
    if (p == -1 || p == c) return;
    Line l;
    read_line(l);
  }
}

// The start of the file decides whether it is this format at all; nothing after a wrong start is read.
void FastxReader::check_start(char expected) {
  started_ = true;
  while (end_ < buf_.size() && end_ - cur_ < 65536 && more(true)) {
  }
  const size_t avail = end_ - cur_;
  const char* p = buf_.data() + cur_;
  if (avail == 0) return;
  if (std::memchr(p, 0, std::min<size_t>(avail, 65536)) != nullptr) {
    fail(line_ + 1,
         "the file holds binary data (NUL bytes), not " + std::string(expected == '>' ? "FASTA" : "FASTQ") +
             " text; check the path " + "(first bytes: " + first_bytes(p, avail) + ")",
         false);
  }
  size_t i = 0;
  while (i < avail && (p[i] == '\n' || p[i] == '\r')) ++i;
  if (i == avail || p[i] == expected) return;
  const char* fmt = expected == '>' ? "FASTA" : "FASTQ";
  std::string hint;
  if (expected == '>' && p[i] == '@') hint = "; it looks like FASTQ: use dna.fastq_read";
  else if (expected == '@' && p[i] == '>') hint = "; it looks like FASTA: use dna.fasta_read";
  else
    hint = "; check that this is a " + std::string(fmt) +
           " file (first bytes: " + first_bytes(p + i, avail - i) + ")";
  fail(line_ + 1 + static_cast<uint64_t>(std::count(p, p + i, '\n')),
       "a " + std::string(fmt) + " file must start with '" + expected + "', found " +
           show_byte(static_cast<uint8_t>(p[i])) + hint,
       false);
}

std::string FastxReader::invalid_base(const char* p, size_t n, size_t column_base) const {
  size_t i = 0;
  while (i < n && kSeqInvalid[static_cast<uint8_t>(p[i])] == 0) ++i;
  return "invalid character " + show_byte(static_cast<uint8_t>(p[i])) + " in the sequence at column " +
         std::to_string(column_base + i + 1) +
         "; a sequence may hold letters (IUPAC codes), '-', '.' and '*' (is the file damaged or binary?)";
}

std::string FastxReader::invalid_quality(const char* p, size_t n) const {
  const uint8_t lo = static_cast<uint8_t>(opt_.quality_offset);
  size_t i = 0;
  while (i < n && static_cast<uint8_t>(p[i]) >= lo && static_cast<uint8_t>(p[i]) <= '~') ++i;
  std::string hint = opt_.quality_offset == 64
                         ? "; Phred+64 qualities lie in '@'..'~' (is this Phred+33? set quality_offset = 33)"
                         : "; Phred+33 qualities lie in '!'..'~'";
  return "invalid quality character " + show_byte(static_cast<uint8_t>(p[i])) + " at column " +
         std::to_string(i + 1) + hint;
}

bool FastxReader::next(FastxRecord& r) {
  pending_.clear();
  return format_ == Format::kFasta ? next_fasta(r) : next_fastq(r);
}

bool FastxReader::next_fasta(FastxRecord& r) {
  ++record_;  // an error from here on is about this record, even one met before its header
  if (!started_) check_start('>');
  skip_blank_lines();
  Line h;
  if (!read_line(h)) {
    --record_;
    return false;
  }
  const uint64_t header_line = line_;
  const char* hp = at(h);
  if (hp[0] != '>') {
    skip_until('>');
    fail(header_line,
         "expected a header line starting with '>', found " + show_byte(static_cast<uint8_t>(hp[0])) +
             " (sequence lines before any header?)",
         true);
  }
  header_.assign(hp + 1, h.len - 1);
  seq_.clear();
  for (;;) {
    rec_ = cur_;
    int c = peek();
    if (c == -1 || c == '>') break;
    Line l;
    read_line(l);
    const char* p = at(l);
    if (has_invalid_base(p, l.len)) note(line_, invalid_base(p, l.len, 0));
    seq_.append(p, l.len);
  }
  rec_ = cur_;
  if (header_.empty() || header_[0] == ' ' || header_[0] == '\t') {
    note(header_line, "the header has no sequence name after '>'; give every record a name");
  }
  if (!pending_.empty()) fail(pending_line_, pending_, true);
  split_header_text(header_, r.id, r.description);
  r.seq = seq_;
  r.qual = {};
  return true;
}

// The common case, a whole four-line record with LF line ends already in the buffer and nothing wrong
// with it, found with three memchr calls. Anything else (CRLF, multi-line, blank lines, an error, a record
// cut by the buffer end) returns false before any state changes, and the general parser below takes it.
bool FastxReader::fast_fastq(FastxRecord& r) {
  if (!started_ || cur_ >= end_ || buf_[cur_] != '@') return false;
  const char* const base = buf_.data();
  const char* const h = base + cur_;
  const char* const e = base + end_;
  const char* const h_end = static_cast<const char*>(std::memchr(h, '\n', static_cast<size_t>(e - h)));
  if (h_end == nullptr || h_end - h < 2 || h[1] == ' ' || h[1] == '\t' || h_end[-1] == '\r') return false;
  const char* const s = h_end + 1;
  const char* const s_end = static_cast<const char*>(std::memchr(s, '\n', static_cast<size_t>(e - s)));
  if (s_end == nullptr || s_end == s || s[0] == '@' || s[0] == '+' || s_end[-1] == '\r') return false;
  const size_t n = static_cast<size_t>(s_end - s);
  const char* const plus = s_end + 1;
  if (plus >= e || plus[0] != '+') return false;
  const char* plus_end = plus + 1;
  if (plus_end >= e) return false;
  const std::string_view full(h + 1, static_cast<size_t>(h_end - h - 1));
  std::string_view id, description;
  split_header_text(full, id, description);
  if (*plus_end != '\n') {
    plus_end = static_cast<const char*>(std::memchr(plus_end, '\n', static_cast<size_t>(e - plus_end)));
    if (plus_end == nullptr) return false;
    const std::string_view repeated(plus + 1, static_cast<size_t>(plus_end - plus - 1));
    if (repeated != full && repeated != id) return false;
  }
  char* const q = buf_.data() + (plus_end + 1 - base);
  if (static_cast<size_t>(e - q) <= n || q[n] != '\n') return false;
  if (has_invalid_base(s, n) || has_invalid_quality(q, n, static_cast<uint8_t>(opt_.quality_offset)))
    return false;
  if (opt_.quality_offset == 64) phred64_to_33(q, n);
  ++record_;
  line_ += 4;
  rec_ = cur_;
  cur_ = static_cast<size_t>(q + n + 1 - base);
  r.id = id;
  r.description = description;
  r.seq = std::string_view(s, n);
  r.qual = std::string_view(q, n);
  return true;
}

bool FastxReader::next_fastq(FastxRecord& r) {
  if (fast_fastq(r)) return true;
  ++record_;  // an error from here on is about this record, even one met before its header
  if (!started_) check_start('@');
  skip_blank_lines();
  Line h;
  if (!read_line(h)) {
    --record_;
    return false;
  }
  const uint64_t header_line = line_;
  if (at(h)[0] != '@') {
    const uint8_t found = static_cast<uint8_t>(at(h)[0]);
    skip_until('@');
    fail(header_line,
         "expected a header line starting with '@', found " + show_byte(found) +
             " (a sequence or quality line out of place?)",
         true);
  }
  if (h.len == 1 || at(h)[1] == ' ' || at(h)[1] == '\t') {
    note(header_line, "the header has no read name after '@'; give every read a name");
  }

  // Sequence: one line, or several up to the '+' line.
  Line s;
  const int first = peek();
  if (first == -1) {
    fail(header_line, "the file ends after the header; the sequence, '+' and quality lines are missing",
         true);
  }
  if (first == '@') {
    fail(header_line + 1,
         "the line after the header starts with '@', not a sequence: the record has no sequence, '+' or "
         "quality lines",
         true);
  }
  read_line(s);
  bool multi = false;
  Line plus;
  for (;;) {
    int c = peek();
    if (c == -1) fail(line_, "the file ends inside the record: the '+' line and qualities are missing", true);
    if (c == '+') break;
    if (c == '@' || c == '>') {
      fail(line_ + 1,
           "expected the '+' line after the sequence, found a line starting with " +
               show_byte(static_cast<uint8_t>(c)),
           true);
    }
    if (!multi) {
      seq_.assign(at(s), s.len);
      multi = true;
    }
    Line more_seq;
    read_line(more_seq);
    seq_.append(at(more_seq), more_seq.len);
  }
  if (!take_line(plus, 1)) read_line(plus);
  const uint64_t plus_line = line_;
  const std::string_view seq = multi ? std::string_view(seq_) : std::string_view(at(s), s.len);
  if (has_invalid_base(seq.data(), seq.size())) {
    note(header_line + 1, invalid_base(seq.data(), seq.size(), 0));
  }
  if (plus.len > 1) {
    std::string_view repeated(at(plus) + 1, plus.len - 1);
    std::string_view full(at(h) + 1, h.len - 1);
    std::string_view id, description;
    split_header_text(full, id, description);
    if (repeated != full && repeated != id) {
      note(plus_line, "the '+' line repeats the name '" + std::string(repeated) +
                          "', which differs from the " + "header's '" + std::string(full) +
                          "' (records out of step?)");
    }
  }

  // Quality: lines until it is as long as the sequence.
  Line q{cur_ - rec_, 0};
  bool qmulti = false;
  size_t qlen = 0;
  const uint8_t qlo = static_cast<uint8_t>(opt_.quality_offset);
  // Fast path: one quality line exactly as long as the sequence. Valid quality bytes exclude '\n', so a
  // clean range followed by '\n' is that line, found without a scan.
  bool qual_checked = false;
  if (!seq.empty() && end_ - cur_ > seq.size() && !has_invalid_quality(buf_.data() + cur_, seq.size(), qlo) &&
      take_line(q, seq.size())) {
    qual_checked = true;
  } else if (seq.empty()) {
    int c = peek();
    if (c == '\n' || c == '\r') read_line(q);
    if (q.len != 0)
      note(line_,
           "the quality line holds " + std::to_string(q.len) + " characters but the sequence is empty");
  } else {
    for (bool first = true;; first = false) {
      const size_t saved_cur = cur_ - rec_;
      const uint64_t saved_line = line_;
      Line l;
      if (!read_line(l)) {
        fail(line_,
             "the file ends inside the qualities: " + std::to_string(qlen) + " quality characters for " +
                 std::to_string(seq.size()) + " bases; the file is incomplete",
             true);
      }
      if (!first && l.len > 0 && at(l)[0] == '@' && qlen + l.len > seq.size()) {
        // Not more qualities but the next record's header: this record's qualities are short.
        cur_ = rec_ + saved_cur;
        line_ = saved_line;
        fail(line_,
             "the quality has " + std::to_string(qlen) + " characters but the sequence has " +
                 std::to_string(seq.size()) + " bases; each base needs one quality character",
             true);
      }
      if (first) {
        q = l;
      } else {
        if (!qmulti) {
          qual_.assign(at(q), q.len);
          qmulti = true;
        }
        qual_.append(at(l), l.len);
      }
      qlen += l.len;
      if (qlen >= seq.size()) break;
    }
    if (qlen != seq.size()) {
      fail(line_,
           "the quality has " + std::to_string(qlen) + " characters but the sequence has " +
               std::to_string(seq.size()) + " bases; each base needs one quality character",
           true);
    }
  }
  char* qp = qmulti ? qual_.data() : buf_.data() + rec_ + q.off;
  const size_t qn = qmulti ? qual_.size() : q.len;
  if (!qual_checked && has_invalid_quality(qp, qn, qlo)) {
    note(plus_line + 1, invalid_quality(qp, qn));
  }
  if (!pending_.empty()) fail(pending_line_, pending_, true);
  if (opt_.quality_offset == 64) phred64_to_33(qp, qn);

  split_header_text(std::string_view(at(h) + 1, h.len - 1), r.id, r.description);
  r.seq = multi ? std::string_view(seq_) : std::string_view(at(s), s.len);
  r.qual = std::string_view(qp, qn);
  return true;
}

}  // namespace seqflow::dna
