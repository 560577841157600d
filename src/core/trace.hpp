// Timeline tracing: TraceRecorder collects Chrome "complete" events, TraceScope
// records one per C++ scope, and write_merged_trace makes one trace.json
// (Chrome / Perfetto) holding every rank's events, one process per rank.
#pragma once

#include <mpi.h>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/timer.hpp"

namespace strata {

struct TraceEvent {
  std::string name;
  std::string category;
  double start_us = 0;  // since the recorder's time zero
  double duration_us = 0;
  int thread = 0;       // per recorder: 0 for the first thread that recorded, then 1, ...
  nlohmann::json args;  // null, or an object shown in the viewer's detail pane
};

// Thread-safe: the main thread and a communication or I/O thread may record
// into the same recorder. Events are kept in memory until written, so trace
// a bounded window of steps, not a whole long run.
class TraceRecorder {
 public:
  // Time zero is now; for one process (tests, tools).
  TraceRecorder();

  // Collective over comm: time zero is taken right after an MPI_Barrier, so
  // every rank's zero is the same instant to within the barrier's exit skew,
  // typically a few microseconds on an HPC fabric (one message latency times
  // log2 of the rank count), tens over TCP or with oversubscribed cores.
  // Clocks then run independently: CLOCK_MONOTONIC is frequency-disciplined
  // where NTP/PTP runs; without that, nodes drift apart by up to tens of ppm
  // (tens of ms per hour), so compare ranks within a step, not across hours.
  explicit TraceRecorder(MPI_Comm comm);

  TraceRecorder(const TraceRecorder&) = delete;
  TraceRecorder& operator=(const TraceRecorder&) = delete;

  // Microseconds since time zero.
  double now_us() const { return clock_.elapsed_microseconds(); }

  // Adds a finished event that ran on the calling thread.
  void record(std::string name, std::string category, double start_us, double duration_us,
              nlohmann::json args = nullptr);

  std::vector<TraceEvent> events() const;
  std::size_t size() const;

  // This recorder's events as Chrome "X" events with the given pid.
  nlohmann::json chrome_events(int pid) const;

  // Collective over comm: gathers every rank's events to rank 0, which writes
  // {"traceEvents": [...], "displayTimeUnit": "ms"} to path atomically, with
  // pid = rank in comm and a "rank N" process name per rank. If rank 0
  // cannot write, every rank throws the same Error.
  void write_merged_trace(const std::string& path, MPI_Comm comm) const;

 private:
  int thread_index_locked(std::thread::id id);

  Stopwatch clock_;
  mutable std::mutex mutex_;
  std::vector<TraceEvent> events_;
  std::map<std::thread::id, int> thread_indices_;
};

// Records [construction, destruction) as one event. A null recorder makes it
// a no-op, so call sites need no branch when tracing is off.
class TraceScope {
 public:
  TraceScope(TraceRecorder* recorder, std::string name, std::string category,
             nlohmann::json args = nullptr);
  TraceScope(TraceRecorder& recorder, std::string name, std::string category,
             nlohmann::json args = nullptr)
      : TraceScope(&recorder, std::move(name), std::move(category), std::move(args)) {}
  TraceScope(const TraceScope&) = delete;
  TraceScope& operator=(const TraceScope&) = delete;
  ~TraceScope();

  // Adds a detail known only inside the scope (bytes moved, bucket index).
  void set_arg(const std::string& key, nlohmann::json value);

 private:
  TraceRecorder* recorder_;
  std::string name_;
  std::string category_;
  nlohmann::json args_;
  double start_us_ = 0;
};

}  // namespace strata
