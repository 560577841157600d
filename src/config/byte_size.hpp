// Byte sizes as users write them: 1073741824, 2GiB, 512MiB, 1.5GB.
#pragma once

#include <cstdint>
#include <string>

#include "config/config.hpp"

namespace strata::config {

// Plain integers are bytes; KiB/MiB/GiB/TiB are powers of 1024, KB/MB/GB/TB
// powers of 1000, B is bytes (units case-insensitive, a space before the unit
// is allowed). A fraction needs a unit and is rounded down to whole bytes.
// Negatives, garbage, a bare K/M/G/T and values past 2^64-1 are input errors
// naming origin.subject.
std::uint64_t parse_byte_size(const std::string& text, const KeyOrigin& origin = {"byte size", ""});

// The exact value in the largest binary unit that divides it ("2GiB"), else
// plain bytes; parse_byte_size reads it back to the same number.
std::string format_byte_size(std::uint64_t bytes);

}  // namespace strata::config
