# Test registration. Sequential tests run as plain GoogleTest binaries;
# multi-rank tests run the same kind of binary under mpirun, with the MPI
# test main (tests/support/mpi_test_main.cpp) so every rank reports.

find_program(STRATA_MPIEXEC NAMES mpirun mpiexec HINTS ${MPIEXEC_EXECUTABLE})
# Open MPI refuses to run as root (CI and containers) without these.
set(STRATA_MPI_TEST_ENV "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OMPI_MCA_rmaps_base_oversubscribe=1")
# Under the asan preset, LeakSanitizer would report Open MPI's own
# process-lifetime allocations; suppress those (and only those). LSan cannot
# run at all in a process that starts MPI as a singleton (no mpirun: its
# tracer crashes), so the asan test preset turns leak checks off by default
# and the tests registered here turn them back on.
list(APPEND STRATA_MPI_TEST_ENV
  "LSAN_OPTIONS=suppressions=${PROJECT_SOURCE_DIR}/tests/support/lsan.supp:print_suppressions=0"
  # The fast unwinder loses frames inside Open MPI, so suppressions by
  # library name would miss its leaks.
  "ASAN_OPTIONS=fast_unwind_on_malloc=0")

# strata_add_test(<name> SOURCES ... DEPS ... [LABELS ...] [TIMEOUT s])
function(strata_add_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  strata_add_executable(${name} SOURCES ${ARG_SOURCES} DEPS ${ARG_DEPS} strata::test_main)
  add_test(NAME ${name} COMMAND ${name})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  set_tests_properties(${name} PROPERTIES TIMEOUT ${ARG_TIMEOUT} LABELS "unit;${ARG_LABELS}"
    ENVIRONMENT "${STRATA_MPI_TEST_ENV}")
endfunction()

# strata_add_mpi_test(<name> SOURCES ... DEPS ... NP 2 [NP 4 ...] [TIMEOUT s])
# Registers one ctest entry per rank count: <name>.np<N>.
function(strata_add_mpi_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS;NP;LABELS" ${ARGN})
  strata_add_executable(${name} SOURCES ${ARG_SOURCES} DEPS ${ARG_DEPS} strata::mpi_test_main)
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  foreach(np IN LISTS ARG_NP)
    add_test(NAME ${name}.np${np}
      COMMAND ${STRATA_MPIEXEC} --oversubscribe -np ${np} $<TARGET_FILE:${name}>)
    set_tests_properties(${name}.np${np} PROPERTIES TIMEOUT ${ARG_TIMEOUT}
      LABELS "mpi;${ARG_LABELS}" PROCESSORS ${np} ENVIRONMENT "${STRATA_MPI_TEST_ENV}")
  endforeach()
endfunction()
