// ensure_blas_tuning: the decisions it takes from the environment, and the
// re-exec itself, run in a child copy of this test binary.
#include <gtest/gtest.h>

#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

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

// Runs only inside the child started below: calls ensure_blas_tuning with
// this process's real argv (re-executing it at most once) and reports.
TEST(BlasRuntimeChild, Report) {
  if (std::getenv("STRATA_TEST_BLAS_CHILD") == nullptr) GTEST_SKIP() << "child-only test";
  std::ifstream cmdline("/proc/self/cmdline", std::ios::binary);
  const std::string all((std::istreambuf_iterator<char>(cmdline)),
                        std::istreambuf_iterator<char>());
  std::vector<std::string> args;
  for (std::size_t at = 0; at < all.size(); at = all.find('\0', at) + 1)
    args.emplace_back(all.c_str() + at);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const BlasTuning tuning = ensure_blas_tuning(static_cast<int>(args.size()), argv.data());
  std::printf("RESULT tuning=%d core=%s\n", static_cast<int>(tuning),
              strata::kernels::blas_info().core.c_str());
}

// A conservative site-wide OPENBLAS_CORETYPE with STRATA_BLAS_AUTOTUNE=force:
// on an AVX-512 CPU the child must come back from one re-exec on SkylakeX
// (a loop would hang until the test's timeout); elsewhere it must not exec.
TEST(BlasRuntime, ForcedReexecSwitchesToSkylakeXOnce) {
  std::array<char, 4096> self{};
  ASSERT_GT(readlink("/proc/self/exe", self.data(), self.size() - 1), 0);
  const std::string command =
      "env -u STRATA_BLAS_AUTOTUNED STRATA_TEST_BLAS_CHILD=1 "
      "STRATA_BLAS_AUTOTUNE=force OPENBLAS_CORETYPE=Haswell '" +
      std::string(self.data()) + "' --gtest_filter=BlasRuntimeChild.Report 2>&1";
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
