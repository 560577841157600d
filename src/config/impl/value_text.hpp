// Text <-> typed value for deck keys: the one place that says what an integer,
// a number, a boolean or an enum name looks like in a deck or on a command line.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace strata::config::impl {

// Errors name origin.subject, quote the text, and append origin.where.
std::int64_t parse_integer(const std::string& text, std::int64_t min, std::int64_t max,
                           const KeyOrigin& origin);
std::uint64_t parse_unsigned(const std::string& text, const KeyOrigin& origin);
double parse_real(const std::string& text, const KeyOrigin& origin);
bool parse_bool(const std::string& text, const KeyOrigin& origin);
// Strips one pair of surrounding double quotes, so `resume = "latest"` works.
std::string parse_text(const std::string& text);
std::size_t parse_choice(const std::string& text, const std::vector<std::string>& names,
                         const KeyOrigin& origin);

// Shortest text that reads back to the same value.
std::string format_real(double value);
std::string format_bool(bool value);

// Deck names of each enum, indexed by the enum's value.
template <class Enum>
const std::vector<std::string>& enum_names();
template <>
const std::vector<std::string>& enum_names<Tokenizer>();
template <>
const std::vector<std::string>& enum_names<LrSchedule>();
template <>
const std::vector<std::string>& enum_names<WarmupType>();
template <>
const std::vector<std::string>& enum_names<Optimizer>();
template <>
const std::vector<std::string>& enum_names<OffloadDevice>();
template <>
const std::vector<std::string>& enum_names<DType>();
template <>
const std::vector<std::string>& enum_names<log::Level>();

template <class Enum>
Enum parse_enum(const std::string& text, const KeyOrigin& origin) {
  return static_cast<Enum>(parse_choice(text, enum_names<Enum>(), origin));
}

template <class Enum>
std::string enum_name(Enum value) {
  return enum_names<Enum>().at(static_cast<std::size_t>(value));
}

// " (run.ini:7)" or "" when there is no location beyond the subject.
std::string where_suffix(const KeyOrigin& origin);

}  // namespace strata::config::impl
