// VocabParallelCrossEntropy over 1, 2 and 4 ranks against the one-rank fused
// cross-entropy on the full logits: every row's loss, the mean, and each
// rank's columns of d loss / d logits.
#include "tensor_parallel/vocab_parallel_loss.hpp"

#include <gtest/gtest.h>
#include <mpi.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/cross_entropy.hpp"

namespace strata::tensor_parallel {
namespace {

constexpr std::int64_t kRows = 24;

struct Problem {
  std::int64_t vocab;  // padded, divisible by 4
  std::int64_t real;
  std::vector<float> logits;          // [kRows, vocab], the same on every rank
  std::vector<std::int32_t> targets;  // [kRows]
};

// Deterministic logits with rows of ordinary size, rows of 1e4 (the max
// subtraction must save them) and a row whose max sits in another rank's
// block than its target; targets cover the whole real vocabulary.
Problem make_problem(std::int64_t vocab, std::int64_t real) {
  Problem p{vocab, real, std::vector<float>(kRows * vocab), std::vector<std::int32_t>(kRows)};
  for (std::int64_t n = 0; n < kRows; ++n) {
    const float scale = n % 5 == 4 ? 1e4f : 3.0f;
    for (std::int64_t v = 0; v < vocab; ++v)
      p.logits[n * vocab + v] =
          scale * static_cast<float>(std::sin(0.7 * n + 1.3 * v + 0.1 * n * v));
    p.targets[n] = static_cast<std::int32_t>((n * 37 + 11) % real);
  }
  p.logits[3 * vocab + real - 1] = 40.0f;  // row 3's max, in the last real block
  p.targets[3] = 0;
  return p;
}

template <class T>
kernels::Vector<T> device_copy(const std::vector<T>& host, const char* label) {
  kernels::Vector<T> view(std::string(label), host.size());
  Kokkos::deep_copy(view, Kokkos::View<const T*, Kokkos::HostSpace>(host.data(), host.size()));
  return view;
}

void check(std::int64_t vocab, std::int64_t real) {
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const Problem p = make_problem(vocab, real);
  const float dloss = 1.0f / kRows;

  // The reference: one rank, full rows.
  kernels::MatrixF full("full", kRows, vocab);
  Kokkos::deep_copy(full, Kokkos::View<const float**, Kokkos::LayoutRight, Kokkos::HostSpace>(
                              p.logits.data(), kRows, vocab));
  const auto targets = device_copy(p.targets, "targets");
  kernels::VectorF ref_losses("ref_losses", kRows);
  const double ref_mean =
      kernels::cross_entropy_forward_backward(full, targets, real, dloss, ref_losses);

  // This rank's columns.
  const VocabShard shard = vocab_shard(vocab, real, rank, size);
  kernels::MatrixF mine("mine", kRows, shard.size);
  auto mine_host = Kokkos::create_mirror_view(mine);
  for (std::int64_t n = 0; n < kRows; ++n)
    for (std::int64_t c = 0; c < shard.size; ++c)
      mine_host(n, c) = p.logits[n * vocab + shard.begin + c];
  Kokkos::deep_copy(mine, mine_host);

  MemoryLedger ledger;
  comm::CommLedger comm_ledger;
  comm::Communicator tp(MPI_COMM_WORLD, "tp", &comm_ledger, std::chrono::seconds(60));
  VocabParallelCrossEntropy loss(tp, ledger, kRows);
  kernels::VectorF losses("losses", kRows);
  const double mean = loss.forward_backward(mine, targets, shard, dloss, losses);

  EXPECT_NEAR(mean, ref_mean, 1e-5 * std::abs(ref_mean));
  const auto losses_host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), losses);
  const auto ref_host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), ref_losses);
  for (std::int64_t n = 0; n < kRows; ++n)
    EXPECT_NEAR(losses_host(n), ref_host(n), 1e-5 * std::abs(ref_host(n)) + 1e-6) << "row " << n;
  const auto grads = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), mine);
  const auto ref_grads = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), full);
  for (std::int64_t n = 0; n < kRows; ++n)
    for (std::int64_t c = 0; c < shard.size; ++c)
      ASSERT_NEAR(grads(n, c), ref_grads(n, shard.begin + c), 1e-7)
          << "row " << n << " class " << shard.begin + c << " on rank " << rank;

  // Two all-reduces per call, of N and 2N floats, and nothing else.
  const comm::CommCount all = comm_ledger.total("tp");
  EXPECT_EQ(all.calls, 2);
  EXPECT_EQ(all.payload_bytes, 3 * kRows * 4);
}

TEST(VocabParallelLoss, EqualsTheOneRankLossAndGradient) { check(64, 64); }

TEST(VocabParallelLoss, PaddedVocabularyColumnsTakeNoPart) { check(128, 65); }

}  // namespace
}  // namespace strata::tensor_parallel
