// What the terminal is: its width.
#pragma once

#include <cstddef>

namespace devreset::cli {

/// The columns of the terminal on `fd`; 0 when it is not one.
std::size_t terminal_columns(int fd);

}  // namespace devreset::cli
