// Error formatting, the checked-call macros, contracts and log-level parsing.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/check.hpp"
#include "core/contract.hpp"
#include "core/error.hpp"
#include "core/log.hpp"

namespace strata {
namespace {

using ::testing::HasSubstr;

TEST(Error, MessageNamesSubjectProblemAndFix) {
  const Error error("must be a positive integer", "[train] micro_batch", "set it to 1 or more");
  EXPECT_EQ(std::string(error.what()),
            "[train] micro_batch: must be a positive integer\n  fix: set it to 1 or more");
  EXPECT_EQ(error.scope(), ErrorScope::all_ranks);
}

TEST(Error, LocationAddsRankAndFileLine) {
  const Error error = STRATA_ERROR("disk full", "ckpt.h5", "free space");
  EXPECT_EQ(error.scope(), ErrorScope::this_rank);
  EXPECT_THAT(error.what(), HasSubstr("at: rank 0, error_test.cpp:"));
  EXPECT_THAT(error.location(), HasSubstr("error_test.cpp"));
}

TEST(Error, ThrowInputErrorIsAllRanks) {
  try {
    throw_input_error("[model] n_head", "must divide n_embd", "pick n_head dividing 768");
    FAIL() << "throw_input_error returned";
  } catch (const Error& error) {
    EXPECT_EQ(error.scope(), ErrorScope::all_ranks);
    EXPECT_EQ(error.subject(), "[model] n_head");
    EXPECT_EQ(error.fix(), "pick n_head dividing 768");
  }
}

TEST(CheckedCalls, SystemCallFailureNamesCallPathAndErrno) {
  try {
    STRATA_CHECK_SYS(::open("/nonexistent/strata/file", O_RDONLY), "/nonexistent/strata/file");
    FAIL() << "open of a missing file succeeded";
  } catch (const Error& error) {
    EXPECT_THAT(error.what(), HasSubstr("::open(\"/nonexistent/strata/file\", O_RDONLY) failed"));
    EXPECT_THAT(error.what(), HasSubstr("No such file or directory"));
    EXPECT_EQ(error.subject(), "/nonexistent/strata/file");
    EXPECT_EQ(error.scope(), ErrorScope::this_rank);
  }
}

TEST(CheckedCalls, SystemCallSuccessPassesResultThrough) {
  const int fd = STRATA_CHECK_SYS(::open("/dev/null", O_RDONLY), "/dev/null");
  EXPECT_GE(fd, 0);
  EXPECT_EQ(STRATA_CHECK_SYS(::close(fd), "/dev/null"), 0);
}

int checked_half(int value) {
  STRATA_EXPECTS(value % 2 == 0);
  return value / 2;
}

TEST(Contracts, ViolationNamesExpressionWhenEnabled) {
#if defined(STRATA_CONTRACTS)
  EXPECT_EQ(checked_half(4), 2);
  try {
    checked_half(3);
    FAIL() << "contract did not fire";
  } catch (const Error& error) {
    EXPECT_THAT(error.what(), HasSubstr("precondition violated: value % 2 == 0"));
  }
#else
  // Release: contracts compile out, so the function runs unchecked.
  EXPECT_EQ(checked_half(3), 1);
#endif
}

TEST(Log, ParsesLevelsAndRejectsUnknownOnes) {
  EXPECT_EQ(log::parse_level("debug", "[log] level"), log::Level::debug);
  EXPECT_EQ(log::parse_level("error", "[log] level"), log::Level::error);
  try {
    log::parse_level("loud", "[log] level");
    FAIL() << "unknown level accepted";
  } catch (const Error& error) {
    EXPECT_EQ(error.subject(), "[log] level");
    EXPECT_THAT(error.what(), HasSubstr("debug, info, warn, error"));
  }
}

TEST(Log, LevelFiltersMessages) {
  log::set_level(log::Level::warn);
  EXPECT_FALSE(log::enabled(log::Level::info));
  EXPECT_TRUE(log::enabled(log::Level::warn));
  log::set_level(log::Level::info);
  EXPECT_TRUE(log::enabled(log::Level::info));
}

}  // namespace
}  // namespace strata
