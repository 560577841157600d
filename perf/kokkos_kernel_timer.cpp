// A Kokkos Tools library that times every kernel, profiling region and deep
// copy of a run on a GPU, for finding where a step's time goes: each event
// is bracketed by device synchronisations (kernels are asynchronous), so the
// run is slower but every figure is that event's own. At exit it prints the
// events by total time to stderr.
//
//   cmake --build build --target strata_kernel_timer   (build/lib/strata_kernel_timer.so)
//   KOKKOS_PROFILE_LIBRARY=$PWD/build/lib/strata_kernel_timer.so strata-train deck.ini ...
//
// The synchronisation is looked up in the process (cudaDeviceSynchronize,
// else hipDeviceSynchronize); without either, events time host work only.
#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Totals {
  double seconds = 0;
  std::uint64_t calls = 0;
};

struct Open {
  std::string name;
  Clock::time_point start;
};

std::map<std::string, Totals> totals;
std::vector<Open> open_events;  // kernels, regions and copies nest as a stack
int (*device_sync)() = nullptr;
Clock::time_point run_start;

void sync() {
  if (device_sync) device_sync();
}

void begin(std::string name) {
  sync();
  open_events.push_back({std::move(name), Clock::now()});
}

void end() {
  sync();
  if (open_events.empty()) return;
  const Open event = open_events.back();
  open_events.pop_back();
  Totals& t = totals[event.name];
  t.seconds += std::chrono::duration<double>(Clock::now() - event.start).count();
  ++t.calls;
}

}  // namespace

struct SpaceHandle {
  char name[64];
};

extern "C" {

void kokkosp_init_library(int, std::uint64_t, std::uint32_t, void*) {
  for (const char* symbol : {"cudaDeviceSynchronize", "hipDeviceSynchronize"})
    if (!device_sync) device_sync = reinterpret_cast<int (*)()>(dlsym(RTLD_DEFAULT, symbol));
  run_start = Clock::now();
}

void kokkosp_finalize_library() {
  const double run = std::chrono::duration<double>(Clock::now() - run_start).count();
  std::vector<std::pair<std::string, Totals>> rows(totals.begin(), totals.end());
  std::sort(rows.begin(), rows.end(),
            [](const auto& a, const auto& b) { return a.second.seconds > b.second.seconds; });
  std::fprintf(stderr, "kernel timer: %.3f s from initialisation to finalisation (%s)\n", run,
               device_sync ? "device-synchronised" : "host only");
  std::fprintf(stderr, "%12s %10s %10s  %s\n", "seconds", "calls", "ms/call", "event");
  for (const auto& [name, t] : rows)
    std::fprintf(stderr, "%12.4f %10llu %10.4f  %s\n", t.seconds,
                 static_cast<unsigned long long>(t.calls), 1e3 * t.seconds / t.calls, name.c_str());
}

void kokkosp_begin_parallel_for(const char* name, std::uint32_t, std::uint64_t*) {
  begin(std::string("for    ") + name);
}
void kokkosp_end_parallel_for(std::uint64_t) { end(); }
void kokkosp_begin_parallel_reduce(const char* name, std::uint32_t, std::uint64_t*) {
  begin(std::string("reduce ") + name);
}
void kokkosp_end_parallel_reduce(std::uint64_t) { end(); }
void kokkosp_begin_parallel_scan(const char* name, std::uint32_t, std::uint64_t*) {
  begin(std::string("scan   ") + name);
}
void kokkosp_end_parallel_scan(std::uint64_t) { end(); }
void kokkosp_push_profile_region(const char* name) { begin(std::string("region ") + name); }
void kokkosp_pop_profile_region() { end(); }
void kokkosp_begin_deep_copy(SpaceHandle dst, const char*, const void*, SpaceHandle src,
                             const char*, const void*, std::uint64_t) {
  begin(std::string("copy   ") + src.name + " -> " + dst.name);
}
void kokkosp_end_deep_copy() { end(); }

}  // extern "C"
