# Finds every third-party dependency and papers over the known quirks of
# Debian 12's packages, so the rest of the build links plain targets:
#   MPI::MPI_CXX, strata::kokkos, strata::kokkoskernels, strata::hdf5,
#   Boost::program_options, nlohmann_json::nlohmann_json, BLAS::BLAS.
# Each failure names the Debian package that provides the missing piece; HPC
# sites point CMake at their modules instead (docs/hpc-sites.md).

# find_package that fails with the package to install, not CMake's generic text.
macro(strata_require package debian_package)
  find_package(${package} ${ARGN} QUIET)
  if(NOT ${package}_FOUND)
    message(FATAL_ERROR
      "Strata needs ${package}, which CMake could not find.\n"
      "  On Debian/Ubuntu: apt-get install ${debian_package}\n"
      "  Elsewhere: load the module or Spack package and pass -D${package}_DIR=<prefix>/lib/cmake/${package} "
      "(see docs/hpc-sites.md).")
  endif()
endmacro()

# --- MPI -------------------------------------------------------------------
strata_require(MPI "libopenmpi-dev openmpi-bin" COMPONENTS C CXX)

# --- Kokkos ------------------------------------------------------------------
strata_require(Kokkos "libtrilinos-kokkos-dev" CONFIG)

# Debian's KokkosConfig.cmake computes its prefix one directory too high and
# exports /usr/lib/include; the headers live in /usr/include/trilinos. Keep
# only include directories that exist and add the one holding Kokkos_Core.hpp.
get_target_property(_strata_kokkos_includes Kokkos::kokkos INTERFACE_INCLUDE_DIRECTORIES)
set(_strata_kokkos_good_includes "")
foreach(_dir IN LISTS _strata_kokkos_includes)
  if(_dir MATCHES "^\\$<" OR EXISTS "${_dir}")
    list(APPEND _strata_kokkos_good_includes "${_dir}")
  endif()
endforeach()
find_path(STRATA_KOKKOS_INCLUDE_DIR Kokkos_Core.hpp
  HINTS ${_strata_kokkos_good_includes} "${Kokkos_DIR}/../../../include" "${Kokkos_DIR}/../../../../include/trilinos"
  PATHS /usr/include/trilinos)
if(NOT STRATA_KOKKOS_INCLUDE_DIR)
  message(FATAL_ERROR "Found KokkosConfig.cmake in ${Kokkos_DIR} but not Kokkos_Core.hpp.\n"
    "  On Debian: apt-get install libtrilinos-kokkos-dev\n"
    "  Elsewhere: pass -DSTRATA_KOKKOS_INCLUDE_DIR=<dir containing Kokkos_Core.hpp>")
endif()
add_library(strata_kokkos INTERFACE)
add_library(strata::kokkos ALIAS strata_kokkos)
target_link_libraries(strata_kokkos INTERFACE Kokkos::kokkos)
# SYSTEM so that -Werror never fires on Kokkos' own headers.
target_include_directories(strata_kokkos SYSTEM INTERFACE "${STRATA_KOKKOS_INCLUDE_DIR}")
if(NOT "${_strata_kokkos_includes}" STREQUAL "${_strata_kokkos_good_includes}")
  set_target_properties(Kokkos::kokkos PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${_strata_kokkos_good_includes}")
endif()
message(STATUS "Strata: Kokkos ${Kokkos_VERSION} headers in ${STRATA_KOKKOS_INCLUDE_DIR}")

# --- BLAS (KokkosKernels' host GEMM needs it linked, with a -dev package) -----
set(BLA_VENDOR OpenBLAS CACHE STRING "BLAS vendor for FindBLAS")
find_package(BLAS QUIET)
if(NOT BLAS_FOUND)
  set(BLA_VENDOR All CACHE STRING "" FORCE)
  find_package(BLAS QUIET)
endif()
if(NOT BLAS_FOUND)
  message(FATAL_ERROR "Strata needs a BLAS with development files.\n"
    "  On Debian/Ubuntu: apt-get install libopenblas-dev\n"
    "  Elsewhere: load your site's BLAS module (openblas, blis, mkl) and set BLA_VENDOR.")
endif()

# --- KokkosKernels -------------------------------------------------------------
strata_require(KokkosKernels "libtrilinos-kokkos-kernels-dev libopenblas-dev" CONFIG)
add_library(strata_kokkoskernels INTERFACE)
add_library(strata::kokkoskernels ALIAS strata_kokkoskernels)
if(TARGET Kokkos::kokkoskernels)
  target_link_libraries(strata_kokkoskernels INTERFACE Kokkos::kokkoskernels)
elseif(TARGET trilinos_kokkoskernels)
  # Debian's Trilinos build exports no Kokkos::kokkoskernels target.
  target_link_libraries(strata_kokkoskernels INTERFACE trilinos_kokkoskernels strata::kokkos BLAS::BLAS)
  target_include_directories(strata_kokkoskernels SYSTEM INTERFACE ${KokkosKernels_INCLUDE_DIRS})
else()
  message(FATAL_ERROR "KokkosKernels was found in ${KokkosKernels_DIR} but exports neither "
    "Kokkos::kokkoskernels nor trilinos_kokkoskernels. Reinstall libtrilinos-kokkos-kernels-dev "
    "or point KokkosKernels_DIR at a complete install.")
endif()

# --- HDF5, parallel only -----------------------------------------------------
# With serial libhdf5-dev installed beside the MPI flavour, FindHDF5 picks the
# serial h5cc unless told to prefer the parallel wrapper.
set(HDF5_PREFER_PARALLEL TRUE)
find_package(HDF5 QUIET COMPONENTS C)
if(NOT HDF5_FOUND)
  message(FATAL_ERROR "Strata needs parallel HDF5.\n"
    "  On Debian/Ubuntu: apt-get install libhdf5-openmpi-dev\n"
    "  Elsewhere: load an hdf5+mpi module (Spack: hdf5+mpi) and set HDF5_ROOT.")
endif()
if(NOT HDF5_IS_PARALLEL)
  message(FATAL_ERROR "The HDF5 found (${HDF5_C_INCLUDE_DIRS}) is serial; Strata writes "
    "checkpoints and reads batches with parallel HDF5 over MPI-IO.\n"
    "  On Debian/Ubuntu: apt-get install libhdf5-openmpi-dev\n"
    "  Elsewhere: load an hdf5+mpi module (Spack: hdf5+mpi) and set HDF5_ROOT to it.")
endif()
add_library(strata_hdf5 INTERFACE)
add_library(strata::hdf5 ALIAS strata_hdf5)
target_include_directories(strata_hdf5 SYSTEM INTERFACE ${HDF5_C_INCLUDE_DIRS})
target_link_libraries(strata_hdf5 INTERFACE ${HDF5_C_LIBRARIES} MPI::MPI_C)
target_compile_definitions(strata_hdf5 INTERFACE ${HDF5_C_DEFINITIONS})

# --- Boost.Program_options, nlohmann_json --------------------------------------
strata_require(Boost "libboost-program-options-dev" 1.71 CONFIG COMPONENTS program_options)
strata_require(nlohmann_json "nlohmann-json3-dev" 3.9)

# --- Test and benchmark frameworks ---------------------------------------------
if(STRATA_BUILD_TESTS)
  strata_require(GTest "libgtest-dev libgmock-dev")
endif()
if(STRATA_BUILD_PERF)
  strata_require(benchmark "libbenchmark-dev")
endif()
