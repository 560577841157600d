// agree_on_success: one failing rank's error reaches every rank, so no rank
// walks on into a collective the others never reach.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <mpi.h>

#include "core/app.hpp"
#include "core/error.hpp"

namespace strata {
namespace {

using ::testing::HasSubstr;

int rank_of_world() {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

TEST(AgreeOnSuccess, ReturnsNormallyWhenEveryRankSucceeds) {
  int calls = 0;
  EXPECT_NO_THROW(agree_on_success(MPI_COMM_WORLD, [&] { ++calls; }));
  EXPECT_EQ(calls, 1);
}

TEST(AgreeOnSuccess, LastRankFailureIsRaisedOnEveryRank) {
  int size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const int failing = size - 1;
  try {
    agree_on_success(MPI_COMM_WORLD, [&] {
      if (rank_of_world() == failing)
        throw_input_error("data/tokens.h5", "file not found", "run strata-prep first");
    });
    FAIL() << "no error on rank " << rank_of_world();
  } catch (const Error& error) {
    EXPECT_EQ(error.scope(), ErrorScope::all_ranks);
    EXPECT_EQ(error.subject(), "data/tokens.h5");
    EXPECT_EQ(error.fix(), "run strata-prep first");
    if (failing != 0) {
      EXPECT_THAT(error.problem(), HasSubstr("(seen on rank " + std::to_string(failing) + ")"));
    }
  }
}

TEST(AgreeOnSuccess, LowestFailingRankWins) {
  try {
    agree_on_success(MPI_COMM_WORLD, [&] {
      throw_input_error("rank" + std::to_string(rank_of_world()), "bad", "fix");
    });
    FAIL() << "no error";
  } catch (const Error& error) {
    EXPECT_EQ(error.subject(), "rank0");
  }
}

}  // namespace
}  // namespace strata
