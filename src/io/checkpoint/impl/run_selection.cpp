// Runs of a flattened tensor as hyperslabs: boxes for a single run, one
// strided hyperslab per box for a regular train of runs.
#include "io/checkpoint/impl/run_selection.hpp"

#include <algorithm>
#include <vector>

#include "io/checkpoint/impl/checkpoint_h5.hpp"

namespace strata::io::checkpoint_impl {
namespace {

struct Box {
  std::vector<hsize_t> start, count;
};

// Appends boxes covering [begin, end) of the sub-array below `prefix` (fixed
// leading indices), in row-major order: a partial first row, a block of full
// rows, a partial last row, recursing into the partial ones.
void split(const std::vector<hsize_t>& shape, std::vector<hsize_t>& prefix, hsize_t begin,
           hsize_t end, std::vector<Box>& out) {
  if (begin >= end) return;
  const std::size_t dim = prefix.size();
  hsize_t inner = 1;
  for (std::size_t d = dim + 1; d < shape.size(); ++d) inner *= shape[d];
  const hsize_t first_full = (begin + inner - 1) / inner, end_full = end / inner;
  auto descend = [&](hsize_t row, hsize_t from, hsize_t to) {
    prefix.push_back(row);
    split(shape, prefix, from, to, out);
    prefix.pop_back();
  };
  if (first_full > end_full) return descend(begin / inner, begin % inner, end % inner);
  if (begin % inner != 0) descend(begin / inner, begin % inner, inner);
  if (end_full > first_full) {
    Box box{prefix, std::vector<hsize_t>(dim, 1)};
    box.start.push_back(first_full);
    box.count.push_back(end_full - first_full);
    for (std::size_t d = dim + 1; d < shape.size(); ++d) {
      box.start.push_back(0);
      box.count.push_back(shape[d]);
    }
    out.push_back(std::move(box));
  }
  if (end % inner != 0) descend(end_full, 0, end % inner);
}

std::vector<Box> boxes_of(const std::vector<hsize_t>& shape, hsize_t begin, hsize_t end) {
  std::vector<hsize_t> prefix;
  std::vector<Box> boxes;
  split(shape, prefix, begin, end, boxes);
  return boxes;
}

// Hyperslabs added to one file space: the first replaces the selection, the
// others join it.
class Selection {
 public:
  Selection(hid_t space, const std::string& path) : space_(space), path_(path) {}
  void add(const Box& box, const std::vector<hsize_t>& stride, const std::vector<hsize_t>& count) {
    STRATA_CHECK_CKPT(
        H5Sselect_hyperslab(space_, calls_ == 0 ? H5S_SELECT_SET : H5S_SELECT_OR, box.start.data(),
                            stride.data(), count.data(), box.count.data()),
        path_);
    ++calls_;
  }
  std::size_t calls() const { return calls_; }

 private:
  hid_t space_;
  const std::string& path_;
  std::size_t calls_ = 0;
};

// n runs of `count` elements, run k starting at offset + k * stride.
struct RunTrain {
  hsize_t offset = 0, count = 0, stride = 0, n = 1;
};

// The longest train of runs from runs[i] on with equal counts and strides.
RunTrain train_at(const std::vector<FlatRun>& runs, std::size_t i) {
  RunTrain train{runs[i].offset, runs[i].count, 0, 1};
  if (i + 1 >= runs.size() || runs[i + 1].count != train.count) return train;
  train.stride = runs[i + 1].offset - train.offset;
  while (i + train.n < runs.size() && runs[i + train.n].count == train.count &&
         runs[i + train.n].offset - runs[i + train.n - 1].offset == train.stride)
    ++train.n;
  return train;
}

// Selects the longest leading part of the train that one strided hyperslab
// per box of its first run covers, and returns how many runs that is (1: the
// first run's boxes alone). A stride of step × (elements below `dim`) moves
// each element `step` along dim and leaves the later dimensions alone, as
// long as no element's index passes the end of dim (it would carry into the
// dimension before).
hsize_t select_train_head(Selection& selection, const std::vector<hsize_t>& shape,
                          const RunTrain& train) {
  const std::vector<Box> boxes = boxes_of(shape, train.offset, train.offset + train.count);
  hsize_t best_fit = 1, best_step = 1, inner = 1;
  std::size_t best_dim = 0;
  for (std::size_t dim = shape.size(); dim-- > 0; inner *= shape[dim]) {
    if (train.n < 2 || train.stride % inner != 0) continue;
    const hsize_t step = train.stride / inner;
    hsize_t fit = train.n;
    for (const Box& box : boxes) {
      const hsize_t last = box.start[dim] + box.count[dim] - 1;
      fit = box.count[dim] > step ? 1 : std::min(fit, (shape[dim] - 1 - last) / step + 1);
      if (fit == 1) break;
    }
    if (fit > best_fit) {
      best_fit = fit;
      best_step = step;
      best_dim = dim;
    }
  }
  for (const Box& box : boxes) {
    std::vector<hsize_t> stride = box.count, count(shape.size(), 1);
    stride[best_dim] = std::max(best_step, box.count[best_dim]);
    count[best_dim] = best_fit;
    selection.add(box, stride, count);
  }
  return best_fit;
}

}  // namespace

std::size_t select_runs(hid_t file_space, const TensorSlice& slice, const std::string& path) {
  std::vector<FlatRun> runs;
  for (const FlatRun& run : slice.runs)
    if (run.count > 0) runs.push_back(run);
  if (runs.empty()) {
    STRATA_CHECK_CKPT(H5Sselect_none(file_space), path);
    return 0;
  }
  const std::vector<hsize_t> shape(slice.shape.begin(), slice.shape.end());
  Selection selection(file_space, path);
  for (std::size_t i = 0; i < runs.size();) {
    RunTrain train = train_at(runs, i);
    i += train.n;
    while (train.n > 0) {
      const hsize_t covered = select_train_head(selection, shape, train);
      train.offset += covered * train.stride;
      train.n -= covered;
    }
  }
  return selection.calls();
}

}  // namespace strata::io::checkpoint_impl
