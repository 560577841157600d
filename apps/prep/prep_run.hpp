// The work of strata-prep once its options are known: read, tokenize, write,
// and report what was made.
#pragma once

#include "prep_options.hpp"

namespace strata::prep {

// Runs on one rank. Throws input Errors for bad inputs; prints the summary
// to stdout.
void run_prep(const PrepOptions& options);

}  // namespace strata::prep
