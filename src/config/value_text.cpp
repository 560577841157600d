// Parsing and formatting of deck values. Strict on purpose: "2.5" is not an
// integer and "maybe" is not a boolean, so a typo never becomes a silent default.
#include "config/impl/value_text.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "core/error.hpp"

namespace strata::config::impl {
namespace {

std::string quoted(const std::string& text) { return "'" + text + "'"; }

std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// Whole-string strtod; false on trailing garbage, empty text, inf or nan.
bool read_double(const std::string& text, double& value) {
  if (text.empty() || std::isspace(static_cast<unsigned char>(text.front()))) return false;
  char* end = nullptr;
  value = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size() && std::isfinite(value);
}

}  // namespace

std::string where_suffix(const KeyOrigin& origin) {
  if (origin.where.empty() || origin.subject.rfind(origin.where, 0) == 0) return "";
  return " (" + origin.where + ")";
}

std::int64_t parse_integer(const std::string& text, std::int64_t min, std::int64_t max,
                           const KeyOrigin& origin) {
  const std::string range = "from " + std::to_string(min) + " to " + std::to_string(max);
  std::int64_t value = 0;
  const auto [end, code] = std::from_chars(text.data(), text.data() + text.size(), value);
  bool whole = code == std::errc() && end == text.data() + text.size();
  bool out_of_range = code == std::errc::result_out_of_range;
  // DeepSpeed writes bucket sizes as 5e8; accept that shorthand when it is exact.
  double real = 0.0;
  if (!whole && !out_of_range && text.find_first_of("eE") != std::string::npos &&
      read_double(text, real) && real == std::floor(real)) {
    if (std::fabs(real) > 9.0e15) {
      out_of_range = true;
    } else {
      value = static_cast<std::int64_t>(real);
      whole = true;
    }
  }
  if (out_of_range || (whole && (value < min || value > max)))
    throw_input_error(origin.subject, "value " + text + " is out of range" + where_suffix(origin),
                      "give an integer " + range);
  if (!whole)
    throw_input_error(origin.subject,
                      "expected an integer, got " + quoted(text) + where_suffix(origin),
                      "give a whole number " + range + ", e.g. 8 (5e8 style is fine)");
  return value;
}

std::uint64_t parse_unsigned(const std::string& text, const KeyOrigin& origin) {
  std::uint64_t value = 0;
  const auto [end, code] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (code == std::errc::result_out_of_range)
    throw_input_error(origin.subject, "value " + text + " is out of range" + where_suffix(origin),
                      "give an integer from 0 to " + std::to_string(UINT64_MAX));
  if (code != std::errc() || end != text.data() + text.size())
    throw_input_error(origin.subject,
                      "expected a non-negative integer, got " + quoted(text) + where_suffix(origin),
                      "give a whole number such as 1234");
  return value;
}

double parse_real(const std::string& text, const KeyOrigin& origin) {
  double value = 0.0;
  if (!read_double(text, value))
    throw_input_error(origin.subject,
                      "expected a number, got " + quoted(text) + where_suffix(origin),
                      "give a finite number such as 0.5 or 3e-4");
  return value;
}

bool parse_bool(const std::string& text, const KeyOrigin& origin) {
  const std::string word = lowercase(text);
  if (word == "true" || word == "1" || word == "yes" || word == "on") return true;
  if (word == "false" || word == "0" || word == "no" || word == "off") return false;
  throw_input_error(origin.subject,
                    "expected a boolean, got " + quoted(text) + where_suffix(origin),
                    "write true or false");
}

std::string parse_text(const std::string& text) {
  if (text.size() >= 2 && text.front() == '"' && text.back() == '"')
    return text.substr(1, text.size() - 2);
  return text;
}

std::size_t parse_choice(const std::string& text, const std::vector<std::string>& names,
                         const KeyOrigin& origin) {
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == text) return i;
  std::string list;
  for (const auto& name : names) list += (list.empty() ? "" : ", ") + name;
  throw_input_error(origin.subject,
                    "expected one of " + list + ", got " + quoted(text) + where_suffix(origin),
                    "write one of: " + list);
}

std::string format_real(double value) {
  // The fewest significant digits that read back exactly, in printf's %g
  // style ("0.0006", "1e-08"), which reads better in a deck than to_chars'
  // shortest form ("6e-04").
  char buffer[40];
  for (int digits = 1; digits <= 17; ++digits) {
    std::snprintf(buffer, sizeof buffer, "%.*g", digits, value);
    if (std::strtod(buffer, nullptr) == value) break;
  }
  return buffer;
}

std::string format_bool(bool value) { return value ? "true" : "false"; }

template <>
const std::vector<std::string>& enum_names<Tokenizer>() {
  static const std::vector<std::string> names{"gpt2", "char"};
  return names;
}
template <>
const std::vector<std::string>& enum_names<LrSchedule>() {
  static const std::vector<std::string> names{"constant", "linear", "cosine", "onecycle"};
  return names;
}
template <>
const std::vector<std::string>& enum_names<WarmupType>() {
  static const std::vector<std::string> names{"linear", "log"};
  return names;
}
template <>
const std::vector<std::string>& enum_names<Optimizer>() {
  static const std::vector<std::string> names{"adamw", "adam"};
  return names;
}
template <>
const std::vector<std::string>& enum_names<OffloadDevice>() {
  static const std::vector<std::string> names{"none", "cpu", "nvme"};
  return names;
}
template <>
const std::vector<std::string>& enum_names<DType>() {
  static const std::vector<std::string> names{"fp32", "bf16", "fp16"};
  return names;
}
template <>
const std::vector<std::string>& enum_names<log::Level>() {
  static const std::vector<std::string> names{"debug", "info", "warn", "error"};
  return names;
}

}  // namespace strata::config::impl

namespace strata::config {

std::string to_string(Tokenizer value) { return impl::enum_name(value); }
std::string to_string(LrSchedule value) { return impl::enum_name(value); }
std::string to_string(WarmupType value) { return impl::enum_name(value); }
std::string to_string(Optimizer value) { return impl::enum_name(value); }
std::string to_string(OffloadDevice value) { return impl::enum_name(value); }
std::string to_string(DType value) { return impl::enum_name(value); }

}  // namespace strata::config
