// The table of every deck key: its section, name, type and how to read and
// write it in a Config. Deck, command line, ds_config, writer and docs test
// all go through it, so a key added here is known everywhere at once.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace strata::config::impl {

struct KeySpec {
  std::string section;
  std::string name;
  std::string type;  // for messages and docs: "integer", "number", "boolean", ...
  // Parses text into the Config; type errors name origin.subject.
  std::function<void(Config&, const std::string& text, const KeyOrigin& origin)> set;
  // The value as a deck writes it; reads back through set() to the same value.
  std::function<std::string(const Config&)> get;

  std::string key() const { return section + "." + name; }             // "train.lr"
  std::string subject() const { return "[" + section + "] " + name; }  // "[train] lr"
};

// In the order the resolved deck lists them.
const std::vector<KeySpec>& deck_keys();
// nullptr when no such key.
const KeySpec* find_key(const std::string& dotted_key);
const KeySpec& key_spec(const std::string& dotted_key);  // throws std::logic_error if absent
std::vector<std::string> all_dotted_keys();
// "[train] lr" for "train.lr".
std::string deck_subject(const std::string& dotted_key);

}  // namespace strata::config::impl
