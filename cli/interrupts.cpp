// Signals during a run: a thread of our own waits for them (sigwait) and tells the run.
#include "cli/interrupts.hpp"

#include <fmt/format.h>
#include <pthread.h>

#include "cli/log.hpp"

namespace devreset::cli {

namespace {

sigset_t watched() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGUSR1);  // our own: the watch is over
  return set;
}

}  // namespace

interrupts::interrupts(engine::run_control& control, std::chrono::milliseconds grace)
    : control_(control), grace_(grace) {
  sigset_t set = watched();
  pthread_sigmask(SIG_BLOCK, &set, &old_mask_);  // before any other thread exists
  thread_ = std::thread([this] { watch(); });
}

interrupts::~interrupts() {
  quit_ = true;
  pthread_kill(thread_.native_handle(), SIGUSR1);
  thread_.join();
  pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
}

void interrupts::watch() {
  const sigset_t set = watched();
  int count = 0;
  for (;;) {
    int signo = 0;
    if (sigwait(&set, &signo) != 0) continue;
    if (quit_ || signo == SIGUSR1) return;
    signalled_ = true;
    if (++count == 1) {
      tell(
          fmt::format("\ndevreset: stopping ({}): no new users; {} s for those in flight "
                      "(Ctrl-C again to exit now)\n",
                      signo == SIGTERM ? "SIGTERM" : "SIGINT",
                      std::chrono::duration_cast<std::chrono::seconds>(grace_).count()));
      control_.stop(grace_);
    } else {
      tell("\ndevreset: second interrupt, exiting now; resume with --resume\n");
      control_.stop_now();
    }
  }
}

}  // namespace devreset::cli
