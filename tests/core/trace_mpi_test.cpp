// write_merged_trace across ranks: one valid Chrome trace on disk holding
// every rank's events and a process name per rank, written atomically.
#include "core/trace.hpp"

#include <gtest/gtest.h>
#include <mpi.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <string>

#include "core/error.hpp"

namespace strata {
namespace {

int rank_of(MPI_Comm comm) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  return rank;
}

// A fresh directory made by rank 0 and shared with everyone.
std::string shared_temp_dir() {
  std::string dir(256, '\0');
  if (rank_of(MPI_COMM_WORLD) == 0) {
    char pattern[] = "/tmp/strata-trace-XXXXXX";
    if (!mkdtemp(pattern)) std::abort();
    dir.assign(pattern);
    dir.resize(256, '\0');
  }
  MPI_Bcast(dir.data(), 256, MPI_CHAR, 0, MPI_COMM_WORLD);
  return dir.c_str();
}

TEST(MergedTrace, HoldsEveryRanksEventsAndNames) {
  int ranks = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  const int rank = rank_of(MPI_COMM_WORLD);
  const std::string path = shared_temp_dir() + "/trace.json";

  TraceRecorder recorder(MPI_COMM_WORLD);
  {
    TraceScope step(recorder, "step", "engine");
    TraceScope work(recorder, "work on rank " + std::to_string(rank), "compute", {{"rank", rank}});
  }
  recorder.write_merged_trace(path, MPI_COMM_WORLD);

  // Every rank may read it once the collective returns.
  std::ifstream in(path);
  ASSERT_TRUE(in) << path;
  const nlohmann::json trace = nlohmann::json::parse(in);  // throws if invalid
  EXPECT_EQ(trace.at("displayTimeUnit"), "ms");
  const auto& events = trace.at("traceEvents");
  std::set<int> named_pids, work_pids;
  int steps = 0;
  for (const auto& e : events) {
    const int pid = e.at("pid").get<int>();
    if (e.at("ph") == "M" && e.at("name") == "process_name") {
      EXPECT_EQ(e.at("args").at("name"), "rank " + std::to_string(pid));
      named_pids.insert(pid);
    } else if (e.at("ph") == "X") {
      EXPECT_GE(e.at("ts").get<double>(), 0.0);
      EXPECT_GE(e.at("dur").get<double>(), 0.0);
      if (e.at("name") == "step") ++steps;
      if (e.at("cat") == "compute") {
        EXPECT_EQ(e.at("name"), "work on rank " + std::to_string(pid));
        EXPECT_EQ(e.at("args").at("rank"), pid);
        work_pids.insert(pid);
      }
    }
  }
  std::set<int> all;
  for (int r = 0; r < ranks; ++r) all.insert(r);
  EXPECT_EQ(named_pids, all);
  EXPECT_EQ(work_pids, all);
  EXPECT_EQ(steps, ranks);
  EXPECT_NE(access((path + ".tmp").c_str(), F_OK), 0) << "temporary file left behind";

  MPI_Barrier(MPI_COMM_WORLD);
  if (rank == 0) {
    std::remove(path.c_str());
    rmdir(path.substr(0, path.rfind('/')).c_str());
  }
}

TEST(MergedTrace, ARankWithNoEventsStillAppears) {
  const std::string path = shared_temp_dir() + "/quiet.json";
  TraceRecorder recorder(MPI_COMM_WORLD);
  if (rank_of(MPI_COMM_WORLD) == 0) recorder.record("only", "x", 0, 1);
  recorder.write_merged_trace(path, MPI_COMM_WORLD);
  std::ifstream in(path);
  const nlohmann::json trace = nlohmann::json::parse(in);
  int names = 0, completes = 0;
  for (const auto& e : trace.at("traceEvents")) {
    names += e.at("name") == "process_name";
    completes += e.at("ph") == "X";
  }
  int ranks = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  EXPECT_EQ(names, ranks);
  EXPECT_EQ(completes, 1);
  MPI_Barrier(MPI_COMM_WORLD);
  if (rank_of(MPI_COMM_WORLD) == 0) {
    std::remove(path.c_str());
    rmdir(path.substr(0, path.rfind('/')).c_str());
  }
}

TEST(MergedTrace, AnUnwritablePathFailsOnEveryRankWithTheSameError) {
  TraceRecorder recorder(MPI_COMM_WORLD);
  recorder.record("e", "x", 0, 1);
  try {
    recorder.write_merged_trace("/nonexistent-strata-dir/trace.json", MPI_COMM_WORLD);
    FAIL() << "writing into a missing directory succeeded";
  } catch (const Error& error) {
    EXPECT_EQ(error.scope(), ErrorScope::all_ranks);
    EXPECT_NE(error.subject().find("/nonexistent-strata-dir/trace.json"), std::string::npos)
        << error.what();
  }
}

}  // namespace
}  // namespace strata
