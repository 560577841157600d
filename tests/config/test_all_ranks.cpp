// validate_on_all_ranks: every rank validates and all ranks agree, even when
// only one rank's input is bad (a file one node cannot see).
#include <mpi.h>

#include "config/validate.hpp"
#include "config_test_support.hpp"

namespace strata::config {
namespace {

using ::testing::AllOf;
using testing::error_of;
using ::testing::HasSubstr;

int rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

int size() {
  int s = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &s);
  return s;
}

TEST(ValidateOnAllRanks, GoodConfigPassesEverywhere) {
  Config config;
  validate_on_all_ranks(config, MPI_COMM_WORLD);
  EXPECT_EQ(config.parallel.dp, size());
}

TEST(ValidateOnAllRanks, ErrorOnOneRankIsRaisedOnEveryRank) {
  ASSERT_GE(size(), 2) << "this test is registered for 2 ranks";
  Config config;
  if (rank() == 1) config.train.micro_batch = 0;
  EXPECT_THAT(
      error_of([&] { validate_on_all_ranks(config, MPI_COMM_WORLD); }),
      AllOf(HasSubstr("[train] micro_batch: must be at least 1, got 0"),
            HasSubstr("(seen on rank 1)"), HasSubstr("fix: set [train] micro_batch to 1 or more")));
}

TEST(ValidateOnAllRanks, LayoutErrorUsesTheCommunicatorSize) {
  Config config;
  config.parallel.tp = size() + 1;
  EXPECT_THAT(error_of([&] { validate_on_all_ranks(config, MPI_COMM_WORLD); }),
              HasSubstr("does not divide the world size " + std::to_string(size())));
}

}  // namespace
}  // namespace strata::config
