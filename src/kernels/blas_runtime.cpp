// BLAS identification through optional symbols, and the OPENBLAS_CORETYPE
// re-exec (see blas_runtime.hpp and docs/blas.md for the measurements).
#include "kernels/blas_runtime.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

// Referenced (never called) so that any binary using this file also links
// the BLAS: with --as-needed, a program that has not called a GEMM yet would
// otherwise not load the library whose tuning this file is about.
extern "C" void cblas_sgemm(int, int, int, int, int, int, float, const float*, int, const float*,
                            int, float, float*, int);

namespace strata::kernels {
namespace {

void* volatile linked_blas = reinterpret_cast<void*>(&cblas_sgemm);

// dlsym on RTLD_DEFAULT finds whatever BLAS the process loaded (linked or
// LD_PRELOADed) without linking against any vendor-specific symbol.
template <class Fn>
Fn* find_symbol(const char* name) {
  return reinterpret_cast<Fn*>(dlsym(RTLD_DEFAULT, name));
}

std::string call_string(const char* name) {
  if (auto* fn = find_symbol<char*()>(name)) {
    if (const char* text = fn()) return text;
  }
  return {};
}

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == ' ' || text.back() == '\n')) text.pop_back();
  return text;
}

bool cpu_has_avx512() {
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
#else
  return false;
#endif
}

// OpenBLAS core names whose SGEMM kernels already use AVX-512.
bool is_avx512_core(const std::string& core) {
  for (const char* name : {"skylakex", "cooperlake", "sapphirerapids"}) {
    if (strcasecmp(core.c_str(), name) == 0) return true;
  }
  return false;
}

bool env_is(const char* name, const char* value) {
  const char* set = std::getenv(name);
  return set != nullptr && std::strcmp(set, value) == 0;
}

}  // namespace

BlasInfo blas_info() {
  static_cast<void>(linked_blas);
  BlasInfo info;
  // BLIS first: when it is LD_PRELOADed over a linked OpenBLAS, BLIS is the
  // one answering the GEMM calls although both libraries are loaded.
  if (find_symbol<void>("bli_info_get_version_str") != nullptr) {
    info.library = "BLIS";
    info.config = "BLIS " + call_string("bli_info_get_version_str");
    // BLIS names its kernel set by sub-configuration ("skx", "zen3", "generic").
    auto* query_id = find_symbol<int()>("bli_arch_query_id");
    auto* arch_name = find_symbol<const char*(int)>("bli_arch_string");
    if (query_id != nullptr && arch_name != nullptr) info.core = arch_name(query_id());
    return info;
  }
  if (find_symbol<void>("openblas_get_corename") == nullptr) {
    info.library = "unknown";
    return info;
  }
  info.library = "OpenBLAS";
  info.core = trimmed(call_string("openblas_get_corename"));
  info.config = trimmed(call_string("openblas_get_config"));
  if (auto* threads = find_symbol<int()>("openblas_get_num_threads")) info.threads = threads();
  return info;
}

std::string describe(const BlasInfo& info) {
  std::string line = info.library;
  if (!info.core.empty()) line += " core=" + info.core;
  if (info.threads > 0) line += " threads=" + std::to_string(info.threads);
  if (!info.config.empty()) line += " (" + info.config + ")";
  if (env_is("STRATA_BLAS_AUTOTUNED", "1")) line += " [OPENBLAS_CORETYPE set by Strata]";
  return line;
}

const char* to_string(BlasTuning tuning) {
  switch (tuning) {
    case BlasTuning::tuned: return "tuned (OPENBLAS_CORETYPE set by Strata)";
    case BlasTuning::user_choice: return "user's OPENBLAS_CORETYPE";
    case BlasTuning::opted_out: return "opted out (STRATA_BLAS_AUTOTUNE=0)";
    case BlasTuning::not_openblas: return "not OpenBLAS";
    case BlasTuning::not_needed: return "not needed";
    case BlasTuning::fixed_arch: return "OpenBLAS without DYNAMIC_ARCH";
    case BlasTuning::exec_failed: return "re-exec failed";
  }
  return "?";
}

BlasTuning ensure_blas_tuning(int argc, char** argv) {
  if (env_is("STRATA_BLAS_AUTOTUNED", "1") && std::getenv("OPENBLAS_CORETYPE") != nullptr) {
    return BlasTuning::tuned;
  }
  if (env_is("STRATA_BLAS_AUTOTUNE", "0")) return BlasTuning::opted_out;
  const BlasInfo info = blas_info();
  // A user's choice stands, unless STRATA_BLAS_AUTOTUNE=force and the
  // chosen core is not an AVX-512 one (sites that export a conservative
  // OPENBLAS_CORETYPE for every job).
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr &&
      !(env_is("STRATA_BLAS_AUTOTUNE", "force") && !is_avx512_core(info.core))) {
    return BlasTuning::user_choice;
  }
  if (info.library != "OpenBLAS") return BlasTuning::not_openblas;
  if (!cpu_has_avx512() || is_avx512_core(info.core)) return BlasTuning::not_needed;
  if (info.config.find("DYNAMIC_ARCH") == std::string::npos) return BlasTuning::fixed_arch;
  if (argc < 1 || argv == nullptr || argv[argc] != nullptr) return BlasTuning::exec_failed;

  // Both variables are set before the exec; OPENBLAS_CORETYPE being set is
  // itself the guard against a second exec, whatever OpenBLAS makes of it.
  const char* previous = std::getenv("OPENBLAS_CORETYPE");
  const std::string user_core = previous != nullptr ? previous : "";
  setenv("OPENBLAS_CORETYPE", "SkylakeX", 1);
  setenv("STRATA_BLAS_AUTOTUNED", "1", 1);
  std::fflush(nullptr);  // stdio buffers do not survive exec
  execv("/proc/self/exe", argv);
  const int error = errno;
  if (previous != nullptr) {
    setenv("OPENBLAS_CORETYPE", user_core.c_str(), 1);
  } else {
    unsetenv("OPENBLAS_CORETYPE");
  }
  unsetenv("STRATA_BLAS_AUTOTUNED");
  std::fprintf(stderr,
               "strata: warning: could not re-exec with OPENBLAS_CORETYPE=SkylakeX (%s); "
               "GEMMs run on OpenBLAS's %s kernels. Set OPENBLAS_CORETYPE=SkylakeX in the job "
               "script to get the AVX-512 kernels.\n",
               std::strerror(error), info.core.c_str());
  return BlasTuning::exec_failed;
}

}  // namespace strata::kernels
