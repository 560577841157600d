// Error: the one exception type Strata throws. It carries what failed, the
// key, file or call it concerns, and how to fix it, so that every message a
// user sees can be acted upon.
#pragma once

#include <stdexcept>
#include <string>

namespace strata {

// Who saw the failure. An input error is found the same way on every rank
// (every rank validates), so rank 0 alone reports it and all ranks exit
// cleanly. A local error (one rank's failed system call) aborts the job so
// no other rank is left waiting in a collective.
enum class ErrorScope { all_ranks, this_rank };

class Error : public std::runtime_error {
 public:
  // problem: what is wrong; subject: the key, file or call it concerns;
  // fix: what the user should do about it.
  Error(std::string problem, std::string subject = {}, std::string fix = {},
        ErrorScope scope = ErrorScope::all_ranks);

  const std::string& problem() const noexcept { return problem_; }
  const std::string& subject() const noexcept { return subject_; }
  const std::string& fix() const noexcept { return fix_; }
  const std::string& location() const noexcept { return location_; }
  ErrorScope scope() const noexcept { return scope_; }

  // Tags the error with the rank and source line that raised it.
  Error&& at(const char* file, int line) &&;

 private:
  void rebuild_message();

  std::string problem_;
  std::string subject_;
  std::string fix_;
  std::string location_;
  ErrorScope scope_;
  std::string message_;
};

// Shorthand for the most common case: a bad input value.
[[noreturn]] void throw_input_error(const std::string& subject, const std::string& problem,
                                    const std::string& fix);

// This process's rank in MPI_COMM_WORLD, or 0 before MPI_Init / after
// MPI_Finalize. Errors and logs use it; it never communicates.
int world_rank() noexcept;

}  // namespace strata

#define STRATA_ERROR(problem, subject, fix)                                      \
  (::strata::Error((problem), (subject), (fix), ::strata::ErrorScope::this_rank) \
       .at(__FILE__, __LINE__))
