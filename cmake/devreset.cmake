# Build helpers: warnings for every target, ccache when present, sanitizer switch.

option(DEVRESET_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)

find_program(DEVRESET_CCACHE ccache)
if(DEVRESET_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  # Precompiled headers need these sloppiness settings for ccache to hit.
  set(CMAKE_CXX_COMPILER_LAUNCHER
      ${CMAKE_COMMAND} -E env
      "CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime"
      ${DEVRESET_CCACHE})
endif()

# The release preset (the demo's, the bench's) compiles each folder's files as a few unity
# translation units: Boost's headers parsed and its templates instantiated once per batch
# instead of once per file. A cold build of devreset takes 90 s on 2 cores instead of 151 s. The debug and sanitizer builds keep one unit per file (their errors and
# coverage point at it).
option(DEVRESET_UNITY "Compile our libraries and devreset as unity translation units" OFF)

option(DEVRESET_FUZZ "Build the libFuzzer targets only (clang; see scripts/fuzz.sh)" OFF)

if(DEVRESET_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "DEVRESET_FUZZ needs clang (libFuzzer): use the 'fuzz' preset")
  endif()
  # Coverage for libFuzzer and the sanitizers on all of our code; the fuzz targets link
  # libFuzzer's main (tests/fuzz).
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined -gline-tables-only)
  add_link_options(-fsanitize=address,undefined)
elseif(DEVRESET_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

# One function for warnings: every target of ours is -Wall -Wextra -Wpedantic clean.
function(devreset_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
                                           -Wnon-virtual-dtor -Wold-style-cast)
  # GCC 12 reports false -Wrestrict / -Wstringop-overflow / -Warray-bounds positives inside
  # std::string's memcpy at -O3, depending on what else is inlined (GCC bugs 105329, 105651,
  # 106199): a string literal assigned in a test failed the Release build once a header of
  # the precompiled set changed. The debug and sanitizer builds keep -Warray-bounds.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-restrict -Wno-stringop-overflow
                                             $<$<CONFIG:Release>:-Wno-array-bounds>)
  endif()
  if(DEVRESET_UNITY)
    set_target_properties(${target} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE 6)
    # A .cpp inside a unity unit is an included file to GCC: its anonymous-namespace types
    # in the coroutine frames of its own functions are no header's business.
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
      target_compile_options(${target} PRIVATE -Wno-subobject-linkage)
    endif()
  endif()
  if(DEVRESET_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
