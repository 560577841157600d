// Stopwatch and TraceRecorder in one process: scopes nest, events carry
// their args and threads, and the Chrome event form is what viewers expect.
#include "core/trace.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "core/timer.hpp"

namespace strata {
namespace {

const TraceEvent& find(const std::vector<TraceEvent>& events, const std::string& name) {
  auto it = std::find_if(events.begin(), events.end(),
                         [&](const TraceEvent& e) { return e.name == name; });
  if (it == events.end()) throw std::runtime_error("no event named " + name);
  return *it;
}

bool contains(const TraceEvent& outer, const TraceEvent& inner) {
  return outer.start_us <= inner.start_us &&
         inner.start_us + inner.duration_us <= outer.start_us + outer.duration_us;
}

TEST(Stopwatch, IsMonotonicAndRestarts) {
  Stopwatch watch;
  const double first = watch.elapsed_microseconds();
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  const double second = watch.elapsed_microseconds();
  EXPECT_GE(first, 0.0);
  EXPECT_GT(second, first);
  EXPECT_GE(watch.elapsed_seconds(), 0.002);
  watch.restart();
  EXPECT_LT(watch.elapsed_microseconds(), second);
}

TEST(TraceScope, NestedScopesAreContainedAndOrdered) {
  TraceRecorder recorder;
  {
    TraceScope step(recorder, "step", "engine", {{"step", 7}});
    {
      TraceScope forward(recorder, "forward", "compute");
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    {
      TraceScope backward(recorder, "backward", "compute");
      backward.set_arg("bytes", 4096);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  const auto events = recorder.events();
  ASSERT_EQ(events.size(), 3u);
  const TraceEvent& step = find(events, "step");
  const TraceEvent& forward = find(events, "forward");
  const TraceEvent& backward = find(events, "backward");
  EXPECT_TRUE(contains(step, forward));
  EXPECT_TRUE(contains(step, backward));
  EXPECT_LE(forward.start_us + forward.duration_us, backward.start_us);
  EXPECT_GT(forward.duration_us, 0.0);
  EXPECT_EQ(step.category, "engine");
  EXPECT_EQ(step.args.at("step"), 7);
  EXPECT_EQ(backward.args.at("bytes"), 4096);
  EXPECT_TRUE(forward.args.is_null());
}

TEST(TraceScope, NullRecorderRecordsNothing) {
  TraceScope scope(nullptr, "ignored", "none");
  scope.set_arg("x", 1);
}

TEST(TraceRecorder, ThreadsGetSmallDistinctIds) {
  TraceRecorder recorder;
  { TraceScope main(recorder, "main", "t"); }
  std::thread comm([&] { TraceScope scope(recorder, "comm", "t"); });
  comm.join();
  { TraceScope again(recorder, "again", "t"); }
  const auto events = recorder.events();
  EXPECT_EQ(find(events, "main").thread, 0);
  EXPECT_EQ(find(events, "comm").thread, 1);
  EXPECT_EQ(find(events, "again").thread, 0);
}

TEST(TraceRecorder, ChromeEventsAreCompleteEvents) {
  TraceRecorder recorder;
  recorder.record("allreduce", "comm", 10.5, 3.25, {{"group", "dp"}});
  const nlohmann::json events = recorder.chrome_events(3);
  ASSERT_EQ(events.size(), 1u);
  const auto& e = events[0];
  EXPECT_EQ(e.at("ph"), "X");
  EXPECT_EQ(e.at("name"), "allreduce");
  EXPECT_EQ(e.at("cat"), "comm");
  EXPECT_EQ(e.at("pid"), 3);
  EXPECT_EQ(e.at("tid"), 0);
  EXPECT_DOUBLE_EQ(e.at("ts").get<double>(), 10.5);
  EXPECT_DOUBLE_EQ(e.at("dur").get<double>(), 3.25);
  EXPECT_EQ(e.at("args").at("group"), "dp");
}

}  // namespace
}  // namespace strata
