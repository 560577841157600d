// "Did you mean ...?" for unknown keys in decks, command lines and ds_configs.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace strata::config::impl {

// Levenshtein distance (insert, delete, substitute each cost 1).
std::size_t edit_distance(const std::string& a, const std::string& b);

// The candidate closest to wrong. A candidate whose last component (after the
// last '.') equals wrong's last component wins outright: the user put a valid
// key in the wrong section. Otherwise the nearest by edit distance, if it is
// close enough to be a plausible typo (at most a third of the longer name,
// and at least 2 edits allowed).
std::optional<std::string> nearest_key(const std::string& wrong,
                                       const std::vector<std::string>& candidates);

}  // namespace strata::config::impl
