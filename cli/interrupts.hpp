// Ctrl-C and SIGTERM during a run, owned by the CLI (the engine only takes stop requests):
// the first asks the run to stop taking users and to give those in flight `grace`; the
// second asks it to stop at once. The signals are blocked in every thread and waited for
// on a thread of this object's own, for as long as it lives.
#pragma once

#include <signal.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "engine/runner.hpp"

namespace devreset::cli {

class interrupts {
 public:
  interrupts(engine::run_control& control, std::chrono::milliseconds grace);
  ~interrupts();
  interrupts(const interrupts&) = delete;
  interrupts& operator=(const interrupts&) = delete;
  /// True once Ctrl-C or SIGTERM came.
  bool signalled() const { return signalled_; }

 private:
  void watch();

  engine::run_control& control_;
  std::chrono::milliseconds grace_;
  sigset_t old_mask_{};
  std::atomic<bool> quit_{false};
  std::atomic<bool> signalled_{false};
  std::thread thread_;
};

}  // namespace devreset::cli
