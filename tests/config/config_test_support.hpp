// Shared by the config tests: a private temporary directory per test, and a
// way to get the message of the input error a call throws.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "config/config.hpp"
#include "core/error.hpp"

namespace strata::config::testing {

class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string(info->test_suite_name()) + "." + info->name();
    for (char& c : name)
      if (c == '/') c = '_';
    dir_ = std::filesystem::temp_directory_path() /
           ("strata-config-" + name + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Writes text to dir/name and returns the full path.
  std::string write(const std::string& name, const std::string& text) const {
    const auto path = dir_ / name;
    std::ofstream(path) << text;
    return path.string();
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  std::filesystem::path dir_;
};

// The what() of the strata::Error that body throws; fails the test (and
// returns "") if it throws nothing or something else.
template <class Body>
std::string error_of(Body&& body) {
  try {
    body();
  } catch (const strata::Error& error) {
    EXPECT_EQ(error.scope(), strata::ErrorScope::all_ranks) << error.what();
    return error.what();
  } catch (const std::exception& other) {
    ADD_FAILURE() << "expected strata::Error, got: " << other.what();
    return "";
  }
  ADD_FAILURE() << "expected strata::Error, nothing was thrown";
  return "";
}

}  // namespace strata::config::testing
