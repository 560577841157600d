// metrics.csv: one row per optimizer step, with a header, flushed row by row
// so a killed job keeps every step it finished; a resumed run appends to it.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace strata::engine {

// One step's figures. An empty optional is an empty cell: not measured at
// this step (val_loss between evaluations; mfu without a known peak).
struct MetricsRow {
  std::int64_t step = 0;  // 0-based index of the optimizer step, as lr(step)
  std::optional<double> loss;
  std::optional<double> val_loss;
  std::optional<double> lr;
  std::optional<double> grad_norm;
  std::optional<double> loss_scale;
  std::optional<double> tokens_per_s;
  std::optional<double> tflops;        // achieved TFLOP/s of this rank's device
  std::optional<double> mfu;           // tflops / peak, in [0, 1]
  std::uint64_t mem_device_bytes = 0;  // peak this step, from the MemoryLedger
  std::uint64_t mem_host_bytes = 0;
};

// The header, in order: step, loss, val_loss, lr, grad_norm, loss_scale,
// tokens_per_s, tflops, mfu, mem_device_bytes, mem_host_bytes.
const std::vector<std::string>& metrics_columns();

// One CSV line without the newline. Reals as %.9g (enough to read every
// float back exactly), counts as integers, an empty optional as nothing.
std::string format_metrics_row(const MetricsRow& row);

// Every row of a metrics.csv this writer made. Errors (naming the file and
// line) for a file without our header or with a malformed row; an unfinished
// last line (no newline: the job died mid-row) is ignored.
std::vector<MetricsRow> read_metrics_csv(const std::string& path);

class MetricsCsv {
 public:
  // A fresh run: creates (or empties) path and writes the header.
  static MetricsCsv create(const std::string& path);

  // A run resumed at step `next_step` (the checkpoint's step: steps 0 ..
  // next_step-1 are done). Keeps the header and the rows with step <
  // next_step, drops the rest (steps the killed run logged after its last
  // checkpoint, which will run again), then appends. A missing or empty file
  // starts fresh. A file with another header is an error: its columns would
  // not line up.
  static MetricsCsv resume(const std::string& path, std::int64_t next_step);

  // Writes one row and flushes it to the operating system.
  void append(const MetricsRow& row);

  const std::string& path() const { return path_; }

 private:
  struct CloseFile {
    void operator()(std::FILE* file) const { std::fclose(file); }
  };
  MetricsCsv(std::string path, std::FILE* file) : path_(std::move(path)), file_(file) {}

  std::string path_;
  std::unique_ptr<std::FILE, CloseFile> file_;
};

}  // namespace strata::engine
