// The arenas runs borrow (see arena_pool.hpp for why).
#include "arena_pool.hpp"

#include <map>
#include <mutex>
#include <vector>

namespace seqflow::engine {

namespace {

struct Pool {
  std::mutex mu;
  std::map<int, std::vector<std::unique_ptr<tbb::task_arena>>> idle;  // by concurrency
};

Pool& pool() {
  static Pool* p = new Pool();  // never destroyed: arenas must outlive every static that might run a graph
  return *p;
}

}  // namespace

ArenaLease::ArenaLease(int slots) : slots_(slots) {
  Pool& p = pool();
  {
    std::lock_guard lock(p.mu);
    auto& free = p.idle[slots];
    if (!free.empty()) {
      arena_ = std::move(free.back());
      free.pop_back();
    }
  }
  if (!arena_) arena_ = std::make_unique<tbb::task_arena>(slots);
}

ArenaLease::~ArenaLease() {
  Pool& p = pool();
  std::lock_guard lock(p.mu);
  p.idle[slots_].push_back(std::move(arena_));
}

}  // namespace seqflow::engine
