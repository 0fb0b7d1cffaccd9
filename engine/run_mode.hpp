// What a run does to each user: reset their devices, or only list them (plan).
#pragma once

namespace devreset::engine {

enum class run_mode { reset, plan };

}  // namespace devreset::engine
