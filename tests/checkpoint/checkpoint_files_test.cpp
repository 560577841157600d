// The checkpoint directory without MPI: names, `latest` and its fallback,
// resume resolution and its errors, and directories that cannot be used.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "../support/unprivileged.hpp"
#include "core/error.hpp"
#include "io/checkpoint/checkpoint.hpp"
#include "io/hdf5/h5_file.hpp"

namespace strata::io {
namespace {

#define EXPECT_HAS(text, part) EXPECT_NE((text).find(part), std::string::npos) << (text)

std::string error_of(const std::function<void()>& body) {
  try {
    body();
  } catch (const Error& error) {
    EXPECT_EQ(error.scope(), ErrorScope::all_ranks) << error.what();
    return error.what();
  }
  return "(no error)";
}

class CheckpointFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = (std::filesystem::temp_directory_path() /
            ("strata-ckptfiles-" + std::string(info->name()) + "-" + std::to_string(::getpid())))
               .string();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    std::filesystem::permissions(dir_, std::filesystem::perms::owner_all);
    std::filesystem::remove_all(dir_);
  }
  void hdf5_file(const std::string& name) { h5::create_serial(dir_ + "/" + name); }
  void text_file(const std::string& name, const std::string& text) {
    std::ofstream(dir_ + "/" + name) << text;
  }

  std::string dir_;
};

TEST_F(CheckpointFiles, Names) {
  EXPECT_EQ(checkpoint_path("run/ckpt", 0), "run/ckpt/step-0.h5");
  EXPECT_EQ(checkpoint_path("/scratch/x", 12345), "/scratch/x/step-12345.h5");
}

TEST_F(CheckpointFiles, NothingToResumeIsAFreshStart) {
  EXPECT_EQ(resolve_resume(dir_, ""), std::nullopt);
  EXPECT_EQ(resolve_resume(dir_, "latest"), std::nullopt);  // empty dir
  EXPECT_EQ(resolve_resume(dir_ + "/never-made", "latest"), std::nullopt);
}

TEST_F(CheckpointFiles, LatestFallsBackToTheNewestCompleteFile) {
  for (const char* name : {"step-3.h5", "step-12.h5", "step-7.h5"}) hdf5_file(name);
  text_file("step-20.h5.tmp", "half written");  // never published: ignored
  text_file("step-x.h5", "not ours");
  EXPECT_EQ(resolve_resume(dir_, "latest"), dir_ + "/step-12.h5");
  text_file("latest", "step-7.h5\n");  // the pointer wins over the scan
  EXPECT_EQ(resolve_resume(dir_, "latest"), dir_ + "/step-7.h5");
}

TEST_F(CheckpointFiles, ResumeErrorsNameTheFile) {
  text_file("latest", "../../etc/passwd\n");
  std::string text = error_of([&] { resolve_resume(dir_, "latest"); });
  EXPECT_HAS(text, dir_ + "/latest: does not name a checkpoint");
  text_file("latest", "step-9.h5\n");
  text = error_of([&] { resolve_resume(dir_, "latest"); });
  EXPECT_HAS(text, "[checkpoint] resume = latest (" + dir_ + "/step-9.h5): file does not exist");
  EXPECT_HAS(text, "delete " + dir_ + "/latest to fall back");
  text = error_of([&] { resolve_resume(dir_, dir_ + "/step-4.h5"); });
  EXPECT_HAS(text, "[checkpoint] resume = " + dir_ + "/step-4.h5: file does not exist");
  text_file("step-5.h5", "garbage");
  text = error_of([&] { resolve_resume(dir_, dir_ + "/step-5.h5"); });
  EXPECT_HAS(text, "is not an HDF5 file");
}

TEST_F(CheckpointFiles, DirectoryIsCreatedOrRefused) {
  prepare_checkpoint_dir(dir_ + "/a/b/c");
  EXPECT_TRUE(std::filesystem::is_directory(dir_ + "/a/b/c"));
  prepare_checkpoint_dir(dir_ + "/a/b/c");  // again: fine
  text_file("plain", "x");
  EXPECT_HAS(error_of([&] { prepare_checkpoint_dir(dir_ + "/plain/ckpt"); }),
             "[checkpoint] dir = " + dir_ + "/plain/ckpt: cannot create");
  EXPECT_HAS(error_of([&] { require_writable_checkpoint_dir(dir_ + "/plain"); }),
             "is not a directory");
  EXPECT_HAS(error_of([&] { require_writable_checkpoint_dir(dir_ + "/missing"); }),
             "cannot be used");
  // Read-only: root writes anywhere, so check as an unprivileged user.
  std::filesystem::create_directories(dir_ + "/ro");
  std::filesystem::permissions(dir_, std::filesystem::perms::all);  // let nobody reach ro/
  ::chmod((dir_ + "/ro").c_str(), 0555);
  const std::string text = strata::testing::error_text_as_unprivileged_user(
      [&] { require_writable_checkpoint_dir(dir_ + "/ro"); });
  EXPECT_HAS(text, "[checkpoint] dir = " + dir_ + "/ro: is not writable");
}

}  // namespace
}  // namespace strata::io
