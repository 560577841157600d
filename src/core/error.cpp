// Error formatting and the world-rank lookup used to tag messages.
#include "core/error.hpp"

#include <mpi.h>

#include <cstring>
#include <utility>

namespace strata {

Error::Error(std::string problem, std::string subject, std::string fix, ErrorScope scope)
    : std::runtime_error(std::string()),
      problem_(std::move(problem)),
      subject_(std::move(subject)),
      fix_(std::move(fix)),
      scope_(scope) {
  rebuild_message();
}

Error&& Error::at(const char* file, int line) && {
  const char* base = std::strrchr(file, '/');
  location_ = "rank " + std::to_string(world_rank()) + ", " + (base ? base + 1 : file) + ":" +
              std::to_string(line);
  rebuild_message();
  return std::move(*this);
}

void Error::rebuild_message() {
  message_ = subject_.empty() ? problem_ : subject_ + ": " + problem_;
  if (!fix_.empty()) message_ += "\n  fix: " + fix_;
  if (!location_.empty()) message_ += "\n  at: " + location_;
  static_cast<std::runtime_error&>(*this) = std::runtime_error(message_);
}

void throw_input_error(const std::string& subject, const std::string& problem,
                       const std::string& fix) {
  throw Error(problem, subject, fix, ErrorScope::all_ranks);
}

int world_rank() noexcept {
  int initialized = 0;
  int finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (!initialized || finalized) return 0;
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

}  // namespace strata
