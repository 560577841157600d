// metrics.csv: the header, row text (empty cells, float round trip), reading
// back, resume truncation, and the files a resume refuses to append to.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.hpp"
#include "engine/metrics_csv.hpp"

namespace strata::engine {
namespace {

#define EXPECT_HAS(text, part) EXPECT_NE((text).find(part), std::string::npos) << (text)

const char* const kHeader =
    "step,loss,val_loss,lr,grad_norm,loss_scale,tokens_per_s,tflops,mfu,mem_device_bytes,"
    "mem_host_bytes";

class Metrics : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("strata-metrics-" + std::string(info->name()) + "-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "metrics.csv").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string text() const {
    std::ifstream in(path_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  static MetricsRow row(std::int64_t step) {
    MetricsRow r;
    r.step = step;
    r.loss = 10.0 - 0.1 * static_cast<double>(step);
    r.lr = 6e-4;
    r.grad_norm = 1.5;
    r.loss_scale = 65536;
    r.tokens_per_s = 12345.5;
    r.mem_device_bytes = 1000 + step;
    r.mem_host_bytes = 2000;
    if (step % 2 == 0) r.val_loss = 9.0;
    return r;
  }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(Metrics, HeaderAndRowsAreFlushedAsWritten) {
  MetricsCsv csv = MetricsCsv::create(path_);
  EXPECT_EQ(text(), std::string(kHeader) + "\n");
  MetricsRow r;
  r.step = 0;
  r.loss = 10.9;
  r.lr = 0.0;
  r.mem_device_bytes = 123;
  csv.append(r);
  // Visible to a reader while the writer is still open: flushed per row.
  EXPECT_EQ(text(), std::string(kHeader) + "\n0,10.9,,0,,,,,,123,0\n");
}

TEST_F(Metrics, RealsReadBackAsTheSameFloat) {
  const float values[] = {3.14159274f, 1e-8f, 6.0000002e-4f, 123456792.f, 1.17549435e-38f};
  for (const float v : values) {
    MetricsRow r;
    r.loss = v;
    const std::string line = format_metrics_row(r);
    const std::string cell = line.substr(2, line.find(',', 2) - 2);
    EXPECT_EQ(std::strtof(cell.c_str(), nullptr), v) << cell;
  }
}

TEST_F(Metrics, WriteThenReadBack) {
  {
    MetricsCsv csv = MetricsCsv::create(path_);
    for (int step = 0; step < 4; ++step) csv.append(row(step));
  }
  const auto rows = read_metrics_csv(path_);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[1].step, 1);
  EXPECT_FLOAT_EQ(static_cast<float>(*rows[1].loss), 9.9f);
  EXPECT_FALSE(rows[1].val_loss.has_value());  // not evaluated: empty cell
  EXPECT_EQ(rows[2].val_loss, 9.0);
  EXPECT_FALSE(rows[3].mfu.has_value());
  EXPECT_EQ(rows[3].mem_device_bytes, 1003u);
  EXPECT_EQ(rows[3].tokens_per_s, 12345.5);
}

TEST_F(Metrics, ResumeDropsStepsThatWillRunAgain) {
  {
    MetricsCsv csv = MetricsCsv::create(path_);
    for (int step = 0; step < 8; ++step) csv.append(row(step));
  }
  std::ofstream(path_, std::ios::app) << "8,7.2,,6e-";  // the killed run's half row
  {
    // Checkpoint step-5.h5: steps 0-4 are done; 5, 6, 7 run again.
    MetricsCsv csv = MetricsCsv::resume(path_, 5);
    auto rows = read_metrics_csv(path_);
    ASSERT_EQ(rows.size(), 5u);
    EXPECT_EQ(rows.back().step, 4);
    for (int step = 5; step < 7; ++step) csv.append(row(step));
  }
  const auto rows = read_metrics_csv(path_);
  ASSERT_EQ(rows.size(), 7u);
  for (int i = 0; i < 7; ++i) EXPECT_EQ(rows[i].step, i);
  EXPECT_EQ(text().find(kHeader, 1), std::string::npos);  // one header
}

TEST_F(Metrics, ResumeWithoutAFileStartsOne) {
  MetricsCsv csv = MetricsCsv::resume(path_, 100);
  csv.append(row(100));
  EXPECT_EQ(read_metrics_csv(path_).front().step, 100);
}

TEST_F(Metrics, ResumeRefusesFilesItDidNotWrite) {
  std::ofstream(path_) << "iter,loss\n0,1.0\n";
  std::string message;
  try {
    MetricsCsv::resume(path_, 3);
  } catch (const Error& error) {
    message = error.what();
  }
  EXPECT_HAS(message, path_ + ": does not start with Strata's metrics header");
  EXPECT_HAS(message, "fix: move the file aside");
  EXPECT_EQ(text(), "iter,loss\n0,1.0\n");  // untouched

  std::ofstream(path_) << kHeader << "\n0,1.0,,1e-3,1,1,1,1,1,1,1\n1,oops,,1,1,1,1,1,1,1,1\n";
  message.clear();
  try {
    MetricsCsv::resume(path_, 3);
  } catch (const Error& error) {
    message = error.what();
  }
  EXPECT_HAS(message, path_ + ":3: loss is not a number");
}

}  // namespace
}  // namespace strata::engine
