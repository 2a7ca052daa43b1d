// SIGINT and SIGTERM as a clean cancel: the run stops reading, drains what is in flight unprocessed,
// commits nothing (every writer's temporary file is removed) and the CLI exits 128 + the signal (130 or
// 143). A second signal takes its default action at once.
//
// What it is: a process-wide flag set by the handler (async-signal-safe: lock-free atomics only), and
// the cancel flag of the run in progress, which the handler raises so that stages stop early too.
// Lifecycle: install_interrupt_handlers() once (the CLI); each run registers its cancel flag for its
// duration with InterruptScope. Threading: any thread reads interrupt_signal().
#pragma once

#include <atomic>

namespace seqflow::engine {

/// Installs the SIGINT / SIGTERM handlers (the CLI does; an embedding program may keep its own).
void install_interrupt_handlers();

/// The signal that interrupted the process, 0 when none did.
int interrupt_signal();

/// While alive, a signal also sets `cancelled` (the run's own cancel flag).
class InterruptScope {
 public:
  explicit InterruptScope(std::atomic<bool>& cancelled);
  ~InterruptScope();
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;
};

}  // namespace seqflow::engine
