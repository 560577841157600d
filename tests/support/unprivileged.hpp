// Runs a check as an unprivileged user. CI runs as root, and root reads any
// file whatever its mode, so a "permission denied" path can only be exercised
// by dropping to another user: as root, body runs in a forked child that
// switches to nobody (uid/gid 65534) first; otherwise it runs in-process.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "core/error.hpp"

namespace strata::testing {

// The what() of the strata::Error that body throws when run without root
// privileges; "" if it throws nothing. A failure to drop privileges or a
// crash in the child is reported in the returned text, so the caller's
// assertion on the message fails visibly.
template <class Body>
std::string error_text_as_unprivileged_user(Body&& body) {
  auto run = [&]() -> std::string {
    try {
      body();
    } catch (const strata::Error& error) {
      return error.what();
    }
    return "";
  };
  if (::geteuid() != 0) return run();

  int channel[2];
  if (::pipe(channel) != 0) return "test harness: pipe() failed";
  const pid_t child = ::fork();
  if (child < 0) return "test harness: fork() failed";
  if (child == 0) {
    ::close(channel[0]);
    std::string text = (::setgid(65534) == 0 && ::setuid(65534) == 0)
                           ? run()
                           : std::string("test harness: cannot switch to user nobody");
    ssize_t ignored = ::write(channel[1], text.data(), text.size());
    (void)ignored;
    ::_exit(0);
  }
  ::close(channel[1]);
  std::string text;
  char buffer[4096];
  for (ssize_t n; (n = ::read(channel[0], buffer, sizeof buffer)) > 0;) text.append(buffer, n);
  ::close(channel[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) text += " (test harness: child crashed)";
  return text;
}

}  // namespace strata::testing
