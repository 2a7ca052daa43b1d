// ArenaPool: oneTBB task arenas reused from one run to the next.
//
// Why: with oneTBB 2021.8 (Debian 12), every task_arena that runs a flow graph and is then destroyed leaves
// about 7 KB behind, so a program that runs thousands of pipelines (the embedding API, the Python package)
// grew without bound; a reused arena stays flat. Concurrent runs never share one: an arena is lent to one
// run at a time, and a new one is made when all of that size are lent.
// Threading: lend/give back from any thread. Ownership: the pool owns every arena until the process exits.
#pragma once

#include <oneapi/tbb/task_arena.h>

#include <memory>

namespace seqflow::engine {

class ArenaLease {
 public:
  /// An idle arena of `slots` concurrency, or a new one.
  explicit ArenaLease(int slots);
  ~ArenaLease();
  ArenaLease(const ArenaLease&) = delete;
  ArenaLease& operator=(const ArenaLease&) = delete;
  tbb::task_arena& arena() { return *arena_; }

 private:
  int slots_;
  std::unique_ptr<tbb::task_arena> arena_;
};

}  // namespace seqflow::engine
