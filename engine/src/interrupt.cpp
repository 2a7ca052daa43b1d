#include "interrupt.hpp"

#include <csignal>

namespace seqflow::engine {
namespace {

std::atomic<int> g_signal{0};
std::atomic<std::atomic<bool>*> g_cancel{nullptr};
static_assert(std::atomic<int>::is_always_lock_free && std::atomic<std::atomic<bool>*>::is_always_lock_free &&
              std::atomic<bool>::is_always_lock_free);

extern "C" void on_signal(int sig) {
  g_signal.store(sig);
  if (std::atomic<bool>* c = g_cancel.load()) c->store(true);
  std::signal(sig, SIG_DFL);  // a second one ends the process at once
}

}  // namespace

void install_interrupt_handlers() {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
}

int interrupt_signal() { return g_signal.load(std::memory_order_relaxed); }

InterruptScope::InterruptScope(std::atomic<bool>& cancelled) {
  g_cancel.store(&cancelled);
  if (g_signal.load() != 0) cancelled.store(true);
}

InterruptScope::~InterruptScope() { g_cancel.store(nullptr); }

}  // namespace seqflow::engine
