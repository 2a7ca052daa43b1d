// SkipLog: the records and inputs skipped under on_error = "skip", kept in bounded memory.
//
// What it is: entries arrive from any stage in any order; the log is written sorted by source position
// (then arrival), as before. Only kRunEntries entries are held at once: a full buffer is sorted and
// spilled to a run file beside the log, and finish() merges the runs into the log (an external merge
// sort), so a run that skips millions of records does not keep them in memory. Without an error_log
// path only the first 20 by position are kept, for stderr, and the rest are counted.
// Lifecycle: open() once before the run -> add()* -> finish() once. The destructor removes spill files.
// Threading: add() is called with RunState::mu held; finish() after the graph has finished.
// Errors: finish() returns "" or what could not be written; a spill failure is kept and returned there.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace seqflow::engine {

struct ErrorEntry {
  uint64_t order = 0;  // source position of the record; inputs skipped by a reader: records read so far
  uint64_t seq = 0;    // arrival, to keep entries of one record in a stable order
  std::string stage;
  std::string plugin;
  std::string record_id;  // "" when the record was never created (bad input skipped by a reader)
  std::string where;      // reader's position for skipped input
  std::string reason;
};

class SkipLog {
 public:
  static constexpr size_t kRunEntries = size_t{1} << 16;
  static constexpr size_t kShown = 20;  // entries shown on stderr when there is no error_log

  SkipLog() = default;
  SkipLog(const SkipLog&) = delete;
  SkipLog& operator=(const SkipLog&) = delete;
  ~SkipLog();

  /// `path`: the error log to write, "" for stderr.
  void open(const std::string& path) { path_ = path; }
  void add(ErrorEntry e);
  uint64_t count() const { return count_; }
  /// The entries still in memory (not yet spilled), in arrival order until finish().
  const std::vector<ErrorEntry>& held() const { return pending_; }
  /// Writes the sorted log (through a temporary file) or prints the first entries to stderr.
  std::string finish();

 private:
  void spill();

  std::string path_;
  std::vector<ErrorEntry> pending_;
  std::vector<std::string> runs_;  // sorted spill files
  uint64_t count_ = 0;
  std::string spill_error_;
};

}  // namespace seqflow::engine
