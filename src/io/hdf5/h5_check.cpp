// Collects HDF5's error stack ourselves (H5Ewalk2) instead of letting the
// library print it, so each failure becomes one actionable message.
#include "io/hdf5/h5_check.hpp"

#include <utility>

namespace strata::io::h5 {
namespace {

std::string message_text(hid_t message_id) {
  char text[256] = {};
  if (message_id < 0 || H5Eget_msg(message_id, nullptr, text, sizeof text) < 0) return {};
  return text;
}

// Walking upward visits the most specific entry first; keep only that one.
herr_t keep_first(unsigned n, const H5E_error2_t* entry, void* client) {
  if (n != 0) return 0;
  auto* out = static_cast<std::string*>(client);
  std::string text = entry->desc ? entry->desc : "";
  const std::string minor = message_text(entry->min_num);
  if (!minor.empty()) text += (text.empty() ? "" : " (") + minor + (text.empty() ? "" : ")");
  if (entry->func_name) text += " in " + std::string(entry->func_name);
  *out = std::move(text);
  return 0;
}

}  // namespace

void silence_error_printing() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

std::string take_innermost_error() {
  std::string innermost;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, keep_first, &innermost);
  H5Eclear2(H5E_DEFAULT);
  return innermost;
}

Error call_failed(const char* call, const std::string& path, const char* file, int line) {
  const std::string innermost = take_innermost_error();
  std::string problem = std::string("HDF5 call ") + call + " failed";
  if (!innermost.empty()) problem += ": " + innermost;
  return Error(problem, path,
               "check that the file is a complete HDF5 file written by strata-prep (rerun "
               "strata-prep if it was cut short), that it is readable, and that the file "
               "system is not full",
               ErrorScope::this_rank)
      .at(file, line);
}

}  // namespace strata::io::h5
