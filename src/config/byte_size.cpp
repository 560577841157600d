// Byte-size parsing in exact integer arithmetic, so "1.5GB" is 1500000000 and
// not whatever a double rounds it to, and overflow is caught, not wrapped.
#include "config/byte_size.hpp"

#include <algorithm>
#include <cctype>
#include <utility>
#include <vector>

#include "config/impl/value_text.hpp"
#include "core/error.hpp"

namespace strata::config {
namespace {

using Wide = unsigned __int128;

const std::vector<std::pair<std::string, std::uint64_t>>& units() {
  static const std::vector<std::pair<std::string, std::uint64_t>> table{
      {"b", 1ULL},         {"kib", 1ULL << 10},   {"mib", 1ULL << 20},
      {"gib", 1ULL << 30}, {"tib", 1ULL << 40},   {"kb", 1000ULL},
      {"mb", 1000000ULL},  {"gb", 1000000000ULL}, {"tb", 1000000000000ULL}};
  return table;
}

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

[[noreturn]] void reject(const KeyOrigin& origin, const std::string& problem) {
  throw_input_error(origin.subject, problem + impl::where_suffix(origin),
                    "write a whole number of bytes or a size with a unit, e.g. 2GiB, 512MiB, "
                    "1.5GB (KiB/MiB/GiB/TiB = 1024^n, KB/MB/GB/TB = 1000^n); 0 means no limit");
}

}  // namespace

std::uint64_t parse_byte_size(const std::string& raw, const KeyOrigin& origin) {
  const std::string text = trim(raw);
  const std::string shown = "'" + raw + "'";
  if (text.empty()) reject(origin, "expected a byte size, got an empty value");
  if (text.front() == '-') reject(origin, "a byte size cannot be negative, got " + shown);

  std::size_t pos = 0;
  Wide mantissa = 0;  // all digits, integer and fraction, as one integer
  int integer_digits = 0, fraction_digits = 0;
  for (; pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos])); ++pos) {
    mantissa = mantissa * 10 + static_cast<unsigned>(text[pos] - '0');
    if (++integer_digits > 20) reject(origin, "byte size " + shown + " is too large");
  }
  if (pos < text.size() && text[pos] == '.') {
    for (++pos; pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos])); ++pos) {
      mantissa = mantissa * 10 + static_cast<unsigned>(text[pos] - '0');
      if (++fraction_digits > 18) reject(origin, "byte size " + shown + " has too many decimals");
    }
  }
  if (integer_digits + fraction_digits == 0) reject(origin, "expected a byte size, got " + shown);

  std::string unit = trim(text.substr(pos));
  std::transform(unit.begin(), unit.end(), unit.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::uint64_t multiplier = 1;
  if (!unit.empty()) {
    const auto found = std::find_if(units().begin(), units().end(),
                                    [&](const auto& entry) { return entry.first == unit; });
    if (found == units().end()) {
      if (unit == "k" || unit == "m" || unit == "g" || unit == "t")
        reject(origin, "unit in " + shown + " is ambiguous");
      reject(origin, "unknown unit in byte size " + shown);
    }
    multiplier = found->second;
  } else if (fraction_digits > 0) {
    reject(origin, "a plain byte count must be whole, got " + shown);
  }

  Wide scale = 1;
  for (int i = 0; i < fraction_digits; ++i) scale *= 10;
  // At most 38 digits keep the mantissa below 2^127; the product may not fit.
  if (mantissa > (~Wide(0)) / multiplier || mantissa * multiplier / scale > Wide(UINT64_MAX))
    reject(origin, "byte size " + shown + " exceeds 2^64-1 bytes");
  return static_cast<std::uint64_t>(mantissa * multiplier / scale);
}

std::string format_byte_size(std::uint64_t bytes) {
  static const char* const names[] = {"TiB", "GiB", "MiB", "KiB"};
  if (bytes == 0) return "0";
  for (int i = 0; i < 4; ++i) {
    const std::uint64_t unit = 1ULL << (10 * (4 - i));
    if (bytes % unit == 0) return std::to_string(bytes / unit) + names[i];
  }
  return std::to_string(bytes);
}

}  // namespace strata::config
