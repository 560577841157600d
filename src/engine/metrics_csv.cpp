// metrics.csv writing, reading back and resume truncation. Plain stdio: one
// writer (rank 0), a few hundred bytes per step.
#include "engine/metrics_csv.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include "core/atomic_file.hpp"
#include "core/error.hpp"

namespace strata::engine {
namespace {

const char* const kFixForeignFile =
    "move the file aside (or choose another [output] dir); Strata appends only to a metrics.csv "
    "it wrote itself";

std::string header_line() {
  std::string line;
  for (const auto& name : metrics_columns()) line += (line.empty() ? "" : ",") + name;
  return line;
}

void put_real(std::string& out, const std::optional<double>& value) {
  out += ',';
  if (!value) return;
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", *value);
  out += text;
}

std::vector<std::string> split_cells(const std::string& line) {
  std::vector<std::string> cells;
  std::size_t begin = 0;
  for (std::size_t comma; (comma = line.find(',', begin)) != std::string::npos; begin = comma + 1)
    cells.push_back(line.substr(begin, comma - begin));
  cells.push_back(line.substr(begin));
  return cells;
}

// The whole cell must be the number: "1.5x" is a damaged row, not 1.5.
template <class Number, class Parse>
bool parse_all(const std::string& cell, Parse parse, Number& out) {
  if (cell.empty()) return false;
  errno = 0;
  char* end = nullptr;
  out = parse(cell.c_str(), &end);
  return errno == 0 && end == cell.c_str() + cell.size();
}

MetricsRow parse_row(const std::string& line, const std::string& where) {
  const auto cells = split_cells(line);
  auto bad = [&](const std::string& problem) -> Error {
    return Error(problem + ": '" + line + "'", where, kFixForeignFile);
  };
  if (cells.size() != metrics_columns().size())
    throw bad("has " + std::to_string(cells.size()) + " cells, the header " +
              std::to_string(metrics_columns().size()));
  MetricsRow row;
  auto strtoll10 = [](const char* s, char** e) { return std::strtoll(s, e, 10); };
  auto strtoull10 = [](const char* s, char** e) { return std::strtoull(s, e, 10); };
  long long step = 0;
  if (!parse_all(cells[0], strtoll10, step)) throw bad("step is not an integer");
  row.step = step;
  std::optional<double>* reals[] = {&row.loss,       &row.val_loss,     &row.lr,     &row.grad_norm,
                                    &row.loss_scale, &row.tokens_per_s, &row.tflops, &row.mfu};
  for (std::size_t i = 0; i < 8; ++i) {
    const std::string& cell = cells[1 + i];
    if (cell.empty()) continue;
    double value = 0;
    if (!parse_all(cell, std::strtod, value))
      throw bad(metrics_columns()[1 + i] + " is not a number");
    *reals[i] = value;
  }
  unsigned long long device = 0, host = 0;
  if (!parse_all(cells[9], strtoull10, device) || !parse_all(cells[10], strtoull10, host))
    throw bad("a memory column is not a byte count");
  row.mem_device_bytes = device;
  row.mem_host_bytes = host;
  return row;
}

// The file's complete lines (an unfinished last line is dropped) with the
// header checked. Returns false if the file is missing or empty.
bool read_lines(const std::string& path, std::vector<std::string>& lines) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0 && errno == ENOENT) return false;
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw Error("cannot read metrics file", path,
                "make it readable, or move it aside to start a new one");
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  if (text.empty()) return false;
  std::size_t begin = 0;
  for (std::size_t newline; (newline = text.find('\n', begin)) != std::string::npos;
       begin = newline + 1)
    lines.push_back(text.substr(begin, newline - begin));
  if (lines.empty() || lines.front() != header_line())
    throw Error("does not start with Strata's metrics header '" + header_line() + "'", path,
                kFixForeignFile);
  return true;
}

std::FILE* open_or_throw(const std::string& path, const char* mode) {
  std::FILE* file = std::fopen(path.c_str(), mode);
  if (!file)
    throw Error(std::string("cannot open metrics file: ") + std::strerror(errno), path,
                "check that the [output] dir exists and is writable", ErrorScope::this_rank);
  return file;
}

}  // namespace

const std::vector<std::string>& metrics_columns() {
  static const std::vector<std::string> columns{
      "step",          "loss",         "val_loss", "lr",  "grad_norm",
      "loss_scale",    "tokens_per_s", "tflops",   "mfu", "mem_device_bytes",
      "mem_host_bytes"};
  return columns;
}

std::string format_metrics_row(const MetricsRow& row) {
  std::string line = std::to_string(row.step);
  for (const auto* value : {&row.loss, &row.val_loss, &row.lr, &row.grad_norm, &row.loss_scale,
                            &row.tokens_per_s, &row.tflops, &row.mfu})
    put_real(line, *value);
  line += ',' + std::to_string(row.mem_device_bytes) + ',' + std::to_string(row.mem_host_bytes);
  return line;
}

std::vector<MetricsRow> read_metrics_csv(const std::string& path) {
  std::vector<std::string> lines;
  if (!read_lines(path, lines))
    throw Error("metrics file is missing or empty", path, "check the path");
  std::vector<MetricsRow> rows;
  for (std::size_t i = 1; i < lines.size(); ++i)
    rows.push_back(parse_row(lines[i], path + ":" + std::to_string(i + 1)));
  return rows;
}

MetricsCsv MetricsCsv::create(const std::string& path) {
  MetricsCsv csv(path, open_or_throw(path, "w"));
  const std::string header = header_line() + "\n";
  if (std::fputs(header.c_str(), csv.file_.get()) < 0 || std::fflush(csv.file_.get()) != 0)
    throw Error(std::string("cannot write metrics file: ") + std::strerror(errno), path,
                "check that the file system is not full", ErrorScope::this_rank);
  return csv;
}

MetricsCsv MetricsCsv::resume(const std::string& path, std::int64_t next_step) {
  std::vector<std::string> lines;
  if (!read_lines(path, lines)) return create(path);
  std::string kept = lines.front() + "\n";
  for (std::size_t i = 1; i < lines.size(); ++i)
    if (parse_row(lines[i], path + ":" + std::to_string(i + 1)).step < next_step)
      kept += lines[i] + "\n";  // the text as written: no reformatting
  // All or nothing: a crash here must not leave a half-truncated file.
  write_file_atomically(path, kept);
  return MetricsCsv(path, open_or_throw(path, "a"));
}

void MetricsCsv::append(const MetricsRow& row) {
  const std::string line = format_metrics_row(row) + "\n";
  if (std::fputs(line.c_str(), file_.get()) < 0 || std::fflush(file_.get()) != 0)
    throw Error(std::string("cannot write metrics file: ") + std::strerror(errno), path_,
                "check that the file system is not full", ErrorScope::this_rank);
}

}  // namespace strata::engine
