// Contracts that compile out: STRATA_EXPECTS / STRATA_ENSURES state what a
// function relies on and promises. Checked in Debug and sanitizer builds,
// free in Release. A violation is a bug in Strata, never a user error, so it
// names the expression rather than a fix.
#pragma once

#include "core/error.hpp"

#if defined(STRATA_CONTRACTS)
#define STRATA_CONTRACT_CHECK(kind, cond)                                                  \
  do {                                                                                     \
    if (!(cond))                                                                           \
      throw ::strata::Error(std::string(kind " violated: ") + #cond, {},                   \
                            "this is a bug in Strata; please report it with this message", \
                            ::strata::ErrorScope::this_rank)                               \
          .at(__FILE__, __LINE__);                                                         \
  } while (false)
#else
#define STRATA_CONTRACT_CHECK(kind, cond) \
  do {                                    \
  } while (false)
#endif

#define STRATA_EXPECTS(cond) STRATA_CONTRACT_CHECK("precondition", cond)
#define STRATA_ENSURES(cond) STRATA_CONTRACT_CHECK("postcondition", cond)
