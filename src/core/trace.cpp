// Event collection and the gather-and-write of the merged Chrome trace.
#include "core/trace.hpp"

#include <climits>
#include <cstdint>
#include <utility>

#include "core/app.hpp"
#include "core/atomic_file.hpp"
#include "core/check.hpp"
#include "core/error.hpp"

namespace strata {
namespace {

nlohmann::json process_metadata(int rank) {
  nlohmann::json name = {{"name", "process_name"}, {"ph", "M"}, {"pid", rank}, {"tid", 0}};
  name["args"] = {{"name", "rank " + std::to_string(rank)}};
  // Without a sort index, viewers order processes by their first event's time.
  nlohmann::json order = {{"name", "process_sort_index"}, {"ph", "M"}, {"pid", rank}, {"tid", 0}};
  order["args"] = {{"sort_index", rank}};
  return nlohmann::json::array({std::move(name), std::move(order)});
}

// The elements of a serialized JSON array, without its brackets, so the
// arrays of all ranks can be joined without parsing them again.
std::string_view array_body(std::string_view array_text) {
  return array_text.substr(1, array_text.size() - 2);
}

}  // namespace

TraceRecorder::TraceRecorder() = default;

TraceRecorder::TraceRecorder(MPI_Comm comm) {
  STRATA_CHECK_MPI(MPI_Barrier(comm));
  clock_.restart();
}

int TraceRecorder::thread_index_locked(std::thread::id id) {
  const auto next = static_cast<int>(thread_indices_.size());
  return thread_indices_.emplace(id, next).first->second;
}

void TraceRecorder::record(std::string name, std::string category, double start_us,
                           double duration_us, nlohmann::json args) {
  std::lock_guard<std::mutex> lock(mutex_);
  const int thread = thread_index_locked(std::this_thread::get_id());
  events_.push_back(TraceEvent{std::move(name), std::move(category), start_us, duration_us, thread,
                               std::move(args)});
}

std::vector<TraceEvent> TraceRecorder::events() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return events_;
}

std::size_t TraceRecorder::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return events_.size();
}

nlohmann::json TraceRecorder::chrome_events(int pid) const {
  nlohmann::json array = nlohmann::json::array();
  std::lock_guard<std::mutex> lock(mutex_);
  for (const TraceEvent& event : events_) {
    nlohmann::json entry = {{"name", event.name},   {"cat", event.category},    {"ph", "X"},
                            {"ts", event.start_us}, {"dur", event.duration_us}, {"pid", pid},
                            {"tid", event.thread}};
    if (!event.args.is_null()) entry["args"] = event.args;
    array.push_back(std::move(entry));
  }
  return array;
}

void TraceRecorder::write_merged_trace(const std::string& path, MPI_Comm comm) const {
  int rank = 0, ranks = 1;
  STRATA_CHECK_MPI(MPI_Comm_rank(comm, &rank));
  STRATA_CHECK_MPI(MPI_Comm_size(comm, &ranks));
  nlohmann::json local = process_metadata(rank);
  for (auto& event : chrome_events(rank)) local.push_back(std::move(event));
  const std::string text = local.dump();

  // MPI_Gatherv counts and displacements are ints. Every rank learns every
  // length, so all of them agree on refusing an oversized trace instead of
  // leaving rank 0 alone in the gather.
  long long length = static_cast<long long>(text.size());
  std::vector<long long> lengths(static_cast<std::size_t>(ranks));
  STRATA_CHECK_MPI(
      MPI_Allgather(&length, 1, MPI_LONG_LONG, lengths.data(), 1, MPI_LONG_LONG, comm));
  std::vector<int> counts(lengths.size()), displacements(lengths.size());
  long long total = 0;
  for (std::size_t r = 0; r < lengths.size(); ++r) {
    if (total + lengths[r] > INT_MAX)
      throw Error("the merged trace would exceed 2 GiB (" + std::to_string(total + lengths[r]) +
                      " bytes from the first " + std::to_string(r + 1) + " ranks)",
                  path, "trace fewer steps or fewer ranks", ErrorScope::all_ranks);
    counts[r] = static_cast<int>(lengths[r]);
    displacements[r] = static_cast<int>(total);
    total += lengths[r];
  }
  std::string gathered(rank == 0 ? static_cast<std::size_t>(total) : 0, '\0');
  STRATA_CHECK_MPI(MPI_Gatherv(text.data(), static_cast<int>(text.size()), MPI_CHAR,
                               gathered.data(), counts.data(), displacements.data(), MPI_CHAR, 0,
                               comm));

  agree_on_success(comm, [&] {
    if (rank != 0) return;
    const std::string_view all(gathered);
    std::string file = R"({"displayTimeUnit": "ms", "traceEvents": [)";
    for (std::size_t r = 0; r < counts.size(); ++r) {
      if (r > 0) file += ",\n";  // each rank's array holds at least its metadata
      file += array_body(all.substr(static_cast<std::size_t>(displacements[r]),
                                    static_cast<std::size_t>(counts[r])));
    }
    file += "]}\n";
    write_file_atomically(path, file);
  });
}

TraceScope::TraceScope(TraceRecorder* recorder, std::string name, std::string category,
                       nlohmann::json args)
    : recorder_(recorder),
      name_(std::move(name)),
      category_(std::move(category)),
      args_(std::move(args)),
      start_us_(recorder ? recorder->now_us() : 0.0) {}

TraceScope::~TraceScope() {
  if (!recorder_) return;
  try {
    recorder_->record(std::move(name_), std::move(category_), start_us_,
                      recorder_->now_us() - start_us_, std::move(args_));
  } catch (...) {
    // Out of memory while tracing: losing one event beats terminating.
  }
}

void TraceScope::set_arg(const std::string& key, nlohmann::json value) {
  if (!recorder_) return;
  if (!args_.is_object()) args_ = nlohmann::json::object();
  args_[key] = std::move(value);
}

}  // namespace strata
