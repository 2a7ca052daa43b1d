// Happens-before annotations for ThreadSanitizer where the engine hands an object to another thread
// through oneTBB.
//
// What it is: the flow graph passes chunks, groups and stage state between node bodies by spawning
// tasks, and Debian's libtbb.so (where spawning and the task pool live) is not instrumented, so TSan
// sees none of that synchronization and reports every handoff as a race (scripts/sanitize.sh).
// handoff_release(p) at the end of the body that passes `p` on, handoff_acquire(p) at the start of the
// body that receives it, declare the ordering TBB provides; two bodies that really touch the same
// object at the same time are still reported. Without TSan both compile to nothing.
// Threading: any thread. Ownership: the pointer is only an address to synchronise on. Errors: none.
#pragma once

#if defined(__SANITIZE_THREAD__)
#define SEQFLOW_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SEQFLOW_TSAN 1
#endif
#endif

#ifdef SEQFLOW_TSAN
extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);
#endif

namespace seqflow::engine {

inline void handoff_release([[maybe_unused]] const void* p) {
#ifdef SEQFLOW_TSAN
  __tsan_release(const_cast<void*>(p));
#endif
}

inline void handoff_acquire([[maybe_unused]] const void* p) {
#ifdef SEQFLOW_TSAN
  __tsan_acquire(const_cast<void*>(p));
#endif
}

}  // namespace seqflow::engine
