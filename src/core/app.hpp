// The frame every Strata program runs in: MPI and Kokkos start-up and
// shutdown, and the rule that a failure becomes one clear message and a
// non-zero exit on every rank, never a crash or a hang.
#pragma once

#include <mpi.h>

#include <functional>

namespace strata {

// Runs body(argc, argv) between MPI_Init/Kokkos::initialize and their
// finalizers. Returns the body's exit code, or 1 after reporting an Error:
// an all-ranks error is printed by rank 0 and every rank exits cleanly; a
// this-rank error is printed by that rank and the job is aborted.
int run_app(const char* app_name, int argc, char** argv,
            const std::function<int(int, char**)>& body);

// Runs check() on every rank of comm and agrees on the outcome with one
// collective: if any rank threw, every rank throws the Error of the lowest
// failing rank, as an all-ranks error. Use it around input validation that
// may differ between ranks (a file one node cannot see), so that no rank goes
// on into a collective that the others never reach.
void agree_on_success(MPI_Comm comm, const std::function<void()>& check);

}  // namespace strata
