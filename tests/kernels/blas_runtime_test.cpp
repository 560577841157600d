// ensure_blas_tuning: the decisions it takes from the environment, and the
// re-exec itself, watched in a child process (blas_reexec_probe.cpp).
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "kernels/blas_runtime.hpp"

namespace {

using strata::kernels::BlasTuning;
using strata::kernels::ensure_blas_tuning;

// Sets or unsets environment variables for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old, had_ = true;
    if (value != nullptr) {
      setenv(name, value, 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (had_) {
      setenv(name_.c_str(), old_.c_str(), 1);
    } else {
      unsetenv(name_.c_str());
    }
  }

 private:
  std::string name_, old_;
  bool had_ = false;
};

bool cpu_has_avx512() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
}

// None of these may exec: the decision is taken before.
TEST(BlasRuntime, RespectsOptOutAndUserChoice) {
  char name[] = "test";
  char* argv[] = {name, nullptr};
  {
    ScopedEnv marker("STRATA_BLAS_AUTOTUNED", nullptr);
    ScopedEnv off("STRATA_BLAS_AUTOTUNE", "0");
    EXPECT_EQ(ensure_blas_tuning(1, argv), BlasTuning::opted_out);
  }
  {
    ScopedEnv marker("STRATA_BLAS_AUTOTUNED", nullptr);
    ScopedEnv mode("STRATA_BLAS_AUTOTUNE", nullptr);
    ScopedEnv core("OPENBLAS_CORETYPE", "Haswell");
    EXPECT_EQ(ensure_blas_tuning(1, argv), BlasTuning::user_choice);
  }
  {
    ScopedEnv marker("STRATA_BLAS_AUTOTUNED", "1");
    ScopedEnv core("OPENBLAS_CORETYPE", "SkylakeX");
    EXPECT_EQ(ensure_blas_tuning(1, argv), BlasTuning::tuned);
  }
}

TEST(BlasRuntime, InfoNamesTheLinkedOpenBlas) {
  const auto info = strata::kernels::blas_info();
  EXPECT_EQ(info.library, "OpenBLAS");  // what BLA_VENDOR=OpenBLAS links
  EXPECT_FALSE(info.core.empty());
  EXPECT_NE(strata::kernels::describe(info).find(info.core), std::string::npos);
  for (auto t :
       {BlasTuning::tuned, BlasTuning::user_choice, BlasTuning::opted_out, BlasTuning::not_openblas,
        BlasTuning::not_needed, BlasTuning::fixed_arch, BlasTuning::exec_failed})
    EXPECT_STRNE(strata::kernels::to_string(t), "?");
}

// A conservative site-wide OPENBLAS_CORETYPE with STRATA_BLAS_AUTOTUNE=force:
// on an AVX-512 CPU the child must come back from one re-exec on SkylakeX
// (a loop would hang until the test's timeout); elsewhere it must not exec.
// The child is tests/kernels/blas_reexec_probe.cpp.
TEST(BlasRuntime, ForcedReexecSwitchesToSkylakeXOnce) {
  const std::string command =
      "env -u STRATA_BLAS_AUTOTUNED STRATA_BLAS_AUTOTUNE=force OPENBLAS_CORETYPE=Haswell '" +
      std::string(STRATA_BLAS_PROBE) + "' 2>&1";
  FILE* child = popen(command.c_str(), "r");
  ASSERT_NE(child, nullptr);
  std::string output;
  std::array<char, 512> buffer{};
  while (std::fgets(buffer.data(), buffer.size(), child) != nullptr) output += buffer.data();
  ASSERT_EQ(pclose(child), 0) << output;
  if (cpu_has_avx512()) {
    EXPECT_NE(output.find("RESULT tuning=" + std::to_string(static_cast<int>(BlasTuning::tuned)) +
                          " core=SkylakeX"),
              std::string::npos)
        << output;
  } else {
    EXPECT_NE(
        output.find("RESULT tuning=" + std::to_string(static_cast<int>(BlasTuning::not_needed))),
        std::string::npos)
        << output;
  }
  EXPECT_EQ(output.find("RESULT", output.find("RESULT") + 1), std::string::npos) << output;
}

}  // namespace
