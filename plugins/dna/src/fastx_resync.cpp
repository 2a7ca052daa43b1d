#include "fastx_resync.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <string_view>

namespace seqflow::dna {
namespace {

enum class Verdict { kYes, kNo, kMore };

bool sequence_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-' || c == '.' || c == '*';
}

// Lines of a window that may not hold the whole file yet.
class Lines {
 public:
  Lines(std::string_view w, size_t at, bool eof) : w_(w), at_(at), eof_(eof) {}
  // 1: a line; 0: the window ends inside it (read more); -1: the end of the file.
  int next(std::string_view& line) {
    if (at_ >= w_.size()) return eof_ ? -1 : 0;
    const size_t nl = w_.find('\n', at_);
    if (nl == std::string_view::npos) {
      if (!eof_) return 0;
      line = w_.substr(at_);
      at_ = w_.size();
    } else {
      line = w_.substr(at_, nl - at_);
      at_ = nl + 1;
    }
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return 1;
  }

 private:
  std::string_view w_;
  size_t at_;
  bool eof_;
};

// One FASTQ record from the current line; `after` says what follows it: 1 a line (left in `header`), -1 the
// end.
Verdict fastq_record(Lines& lines, std::string_view& header, int& after) {
  if (header.empty() || header[0] != '@') return Verdict::kNo;
  std::string_view line;
  size_t seq_len = 0;
  for (;;) {
    const int got = lines.next(line);
    if (got == 0) return Verdict::kMore;
    if (got < 0) return Verdict::kNo;
    if (!line.empty() && line[0] == '+') break;
    if (!std::all_of(line.begin(), line.end(), sequence_char)) return Verdict::kNo;
    seq_len += line.size();
  }
  size_t qual_len = 0;
  do {
    const int got = lines.next(line);
    if (got == 0) return Verdict::kMore;
    if (got < 0) return Verdict::kNo;
    qual_len += line.size();
  } while (qual_len < seq_len);
  if (qual_len != seq_len) return Verdict::kNo;
  after = lines.next(header);
  if (after == 0) return Verdict::kMore;
  if (after > 0 && (header.empty() || header[0] != '@')) return Verdict::kNo;
  return Verdict::kYes;
}

Verdict fastq_start(std::string_view w, size_t p, bool eof) {
  Lines lines(w, p, eof);
  std::string_view header;
  if (lines.next(header) != 1) return eof ? Verdict::kNo : Verdict::kMore;
  int after = 0;
  Verdict v = fastq_record(lines, header, after);
  if (v != Verdict::kYes || after < 0) return v;
  return fastq_record(lines, header, after);  // a second record confirms the first
}

}  // namespace

VirtualOffset resync(const std::string& path, Compression kind, Format format, uint64_t offset) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw InputError("cannot stat '" + path + "': " + std::strerror(errno));
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  const VirtualOffset end{size, 0};
  if (offset == 0) return {0, 0};
  if (offset >= size) return end;
  uint64_t start = offset;
  if (kind == Compression::kBgzf) {
    start = next_bgzf_block(path, offset);
    if (start >= size) return end;
  }
  BlockMap blocks;
  auto src = open_input_range(path, kind, {start, 0}, end, &blocks);
  std::string w;
  bool eof = false;
  auto more = [&] {
    const size_t old = w.size();
    w.resize(old + (size_t{1} << 20));
    const size_t n = src->read(w.data() + old, w.size() - old);
    w.resize(old + n);
    eof = n == 0;
  };
  auto at = [&](size_t p) -> VirtualOffset {
    if (kind != Compression::kBgzf) return {start + p, 0};
    auto it =
        std::upper_bound(blocks.begin(), blocks.end(), std::make_pair(static_cast<uint64_t>(p), UINT64_MAX));
    --it;  // the block holding decoded byte p
    return {it->second, p - it->first};
  };
  more();
  for (size_t p = 1;; ++p) {
    while (p >= w.size() && !eof) more();
    if (p >= w.size()) return end;
    if (w[p - 1] != '\n') continue;
    if (format == Format::kFasta) {
      if (w[p] == '>') return at(p);
      continue;
    }
    if (w[p] != '@') continue;
    for (;;) {
      const Verdict v = fastq_start(w, p, eof);
      if (v == Verdict::kYes) return at(p);
      if (v == Verdict::kNo) break;
      if (w.size() > kMaxResyncWindow)
        throw InputError("'" + path + "': no FASTQ record boundary found in " +
                         std::to_string(kMaxResyncWindow >> 20) + " MiB after byte " +
                         std::to_string(offset) +
                         "; is it FASTQ? (use --shard-by file for files with records this long)");
      more();
    }
  }
}

}  // namespace seqflow::dna
