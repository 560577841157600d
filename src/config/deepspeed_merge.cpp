// The rules by which a ds_config value replaces, yields to, or contradicts a
// value from the deck.
#include "config/impl/deepspeed_merge.hpp"

#include <sstream>

#include "config/impl/key_table.hpp"
#include "config/impl/value_text.hpp"
#include "core/error.hpp"

namespace strata::config::impl {
namespace {

const char* const kCommandLine = "command line";

}  // namespace

DeepSpeedMerge::DeepSpeedMerge(Config& config, const nlohmann::json& root, std::string file)
    : config_(config), root_(root), file_(std::move(file)) {}

const nlohmann::json* DeepSpeedMerge::find(const std::string& path) const {
  const nlohmann::json* node = &root_;
  std::istringstream parts(path);
  std::string part;
  while (std::getline(parts, part, '.')) {
    if (!node->is_object()) return nullptr;
    const auto child = node->find(part);
    if (child == node->end()) return nullptr;
    node = &*child;
  }
  return node->is_null() ? nullptr : node;
}

bool DeepSpeedMerge::is_auto(const std::string& path) const {
  const nlohmann::json* value = find(path);
  return value && value->is_string() && value->get<std::string>() == "auto";
}

std::string DeepSpeedMerge::subject(const std::string& path) const { return file_ + ": " + path; }

std::string DeepSpeedMerge::text_at(const std::string& path) const {
  const nlohmann::json& value = *find(path);
  switch (value.type()) {
    case nlohmann::json::value_t::boolean: return format_bool(value.get<bool>());
    case nlohmann::json::value_t::number_integer: return std::to_string(value.get<std::int64_t>());
    case nlohmann::json::value_t::number_unsigned:
      return std::to_string(value.get<std::uint64_t>());
    case nlohmann::json::value_t::number_float: return format_real(value.get<double>());
    case nlohmann::json::value_t::string: return value.get<std::string>();
    default:
      throw_input_error(subject(path),
                        std::string("expected a single value, got a JSON ") + value.type_name(),
                        "give a number, boolean or string, as DeepSpeed documents for this key");
  }
}

void DeepSpeedMerge::map(const std::string& path, const std::string& deck_key,
                         const std::optional<std::string>& ds_default, const std::string& scope) {
  if (find(path)) {
    if (!is_auto(path)) assign(deck_key, text_at(path), path);
    return;
  }
  const bool scope_present = scope.empty() || find(scope) != nullptr;
  if (ds_default && scope_present) assign_default(deck_key, *ds_default, path);
}

void DeepSpeedMerge::assign(const std::string& deck_key, const std::string& text,
                            const std::string& path) {
  const KeySpec& spec = key_spec(deck_key);
  const KeyOrigin origin{subject(path), file_};
  Config scratch;
  spec.set(scratch, text, origin);  // type errors name the JSON path
  const std::string incoming = spec.get(scratch);

  const auto set_by_user = config_.origins.find(deck_key);
  if (set_by_user != config_.origins.end()) {
    const KeyOrigin& earlier = set_by_user->second;
    if (earlier.where == kCommandLine || spec.get(config_) == incoming) return;
    const std::string existing = spec.get(config_);
    if (earlier.where == file_)
      throw_input_error(subject(path),
                        "gives " + spec.subject() + " = " + incoming + ", but " + earlier.subject +
                            " in the same file gives " + existing,
                        "make the two DeepSpeed keys agree (Strata keeps one value for both)");
    throw_input_error(subject(path),
                      "gives " + spec.subject() + " = " + incoming + ", but " + earlier.where +
                          " sets " + earlier.subject + " = " + existing,
                      "set it in one place: remove " + path + " from " + file_ +
                          " (or write "
                          "\"auto\" there to take the deck's value), or remove " +
                          earlier.subject + " from " + earlier.where);
  }
  spec.set(config_, text, origin);
  config_.origins[deck_key] = origin;
}

void DeepSpeedMerge::assign_default(const std::string& deck_key, const std::string& text,
                                    const std::string& path) {
  if (config_.is_set(deck_key)) return;
  key_spec(deck_key).set(config_, text, KeyOrigin{"DeepSpeed's default for " + path, ""});
}

}  // namespace strata::config::impl
