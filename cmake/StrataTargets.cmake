# How our own targets are compiled: warnings as errors, sanitizers on request,
# contracts on outside Release. Third-party headers come in as SYSTEM includes
# so -Werror judges only our code.

set(STRATA_SANITIZE "" CACHE STRING "Sanitizers for our targets, e.g. address;undefined")

add_library(strata_build_flags INTERFACE)
add_library(strata::build_flags ALIAS strata_build_flags)
target_compile_options(strata_build_flags INTERFACE -Wall -Wextra -Werror)
target_compile_definitions(strata_build_flags INTERFACE
  $<$<NOT:$<CONFIG:Release>>:STRATA_CONTRACTS=1>)
foreach(_san IN LISTS STRATA_SANITIZE)
  target_compile_options(strata_build_flags INTERFACE -fsanitize=${_san} -fno-omit-frame-pointer)
  target_link_options(strata_build_flags INTERFACE -fsanitize=${_san})
endforeach()

# strata_add_library(<name> SOURCES ... DEPS ...): one library per layer folder,
# built as strata_<name> and linked as strata::<name>.
function(strata_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(strata_${name} STATIC ${ARG_SOURCES})
  add_library(strata::${name} ALIAS strata_${name})
  target_include_directories(strata_${name} PUBLIC "${PROJECT_SOURCE_DIR}/src")
  target_link_libraries(strata_${name} PUBLIC ${ARG_DEPS} PRIVATE strata::build_flags)
endfunction()

# strata_add_executable(<name> SOURCES ... DEPS ...)
function(strata_add_executable name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} strata::build_flags)
endfunction()
