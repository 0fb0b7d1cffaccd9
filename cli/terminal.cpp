// What the terminal is (cli/terminal.hpp).
#include "cli/terminal.hpp"

#include <sys/ioctl.h>

namespace devreset::cli {

std::size_t terminal_columns(int fd) {
  struct winsize ws {};
  if (::ioctl(fd, TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0) return 0;
  return ws.ws_col;
}

}  // namespace devreset::cli
