// TransformerBlock: GPT-2's pre-LN block, x + attn(ln_1(x)) then
// + mlp(ln_2(·)), with a backward that updates one residual-gradient buffer
// in place (each branch's LayerNorm backward adds into it).
#include <algorithm>

#include "core/contract.hpp"
#include "kernels/attention.hpp"
#include "kernels/gelu.hpp"
#include "kernels/layernorm.hpp"
#include "kernels/matmul.hpp"
#include "kernels/residual.hpp"
#include "model/gpt_layers.hpp"
#include "tensor_parallel/parallel_linear.hpp"
#include "tensor_parallel/regions.hpp"

namespace strata::model {
namespace {
Tensor make(MemoryLedger& ledger, const std::string& name, Shape shape,
            MemoryCategory category = MemoryCategory::activation) {
  return Tensor(ledger, name, DType::fp32, std::move(shape), category);
}
}  // namespace

BlockScratch::BlockScratch(MemoryLedger& ledger, const GptShape& shape,
                           const kernels::AttentionPlan& plan) {
  const std::int64_t N = static_cast<std::int64_t>(plan.batch) * plan.seq, C = shape.n_embd;
  wide = make(ledger, "blocks.scratch.wide", {N, 4 * std::int64_t{plan.channels}},
              MemoryCategory::workspace);
  narrow = make(ledger, "blocks.scratch.narrow", {N, C}, MemoryCategory::workspace);
  attention = make(ledger, "blocks.scratch.attention",
                   {static_cast<std::int64_t>(std::max<std::size_t>(plan.workspace_floats, 1))},
                   MemoryCategory::workspace);
  zero_bias = make(ledger, "blocks.zero_bias", {C}, MemoryCategory::workspace);
  bias_sink = make(ledger, "blocks.bias_sink", {C}, MemoryCategory::workspace);
}

TransformerBlock::TransformerBlock(const GptShape& shape, int index, MemoryLedger& ledger,
                                   const kernels::AttentionPlan& plan,
                                   std::shared_ptr<BlockScratch> scratch,
                                   std::unique_ptr<AttentionCore> core,
                                   std::shared_ptr<BlockActivations> checkpoint_set,
                                   comm::Communicator* tp)
    : shape_(shape),
      index_(index),
      tp_(tp && tp->size() > 1 ? tp : nullptr),
      specs_(
          tp_ ? split_for_tensor_parallel(gpt_block_params(shape, index), tp_->rank(), tp_->size())
              : gpt_block_params(shape, index)),
      plan_(plan),
      scratch_(std::move(scratch)),
      core_(std::move(core)),
      checkpointed_(checkpoint_set != nullptr),
      saved_(checkpointed_
                 ? *checkpoint_set
                 : BlockActivations(ledger, name() + ".", shape, plan, core_ == nullptr)) {
  const std::string p = name() + ".";
  auto at = [&](const std::string& suffix) { return find_param(specs_, p + suffix); };
  at_ = {at("ln_1.weight"),      at("ln_1.bias"),          at("attn.c_attn.weight"),
         at("attn.c_attn.bias"), at("attn.c_proj.weight"), at("attn.c_proj.bias"),
         at("ln_2.weight"),      at("ln_2.bias"),          at("mlp.c_fc.weight"),
         at("mlp.c_fc.bias"),    at("mlp.c_proj.weight"),  at("mlp.c_proj.bias")};
  const std::int64_t N = static_cast<std::int64_t>(plan.batch) * plan.seq, C = shape.n_embd;
  out_ = make(ledger, p + "out", {N, C});
}

kernels::ConstMatrixF TransformerBlock::forward(StepContext& ctx, const ParamViews& w,
                                                const kernels::ConstMatrixF& input) {
  const std::int64_t N = ctx.rows(), C = shape_.n_embd, local = plan_.channels;
  input_ = input;
  forward_saved(ctx, w);
  const auto out = as_matrix(out_, N, C);
  project_rows(as_matrix(saved_.gelu, N, 4 * local), w, at_.fcproj_w, at_.fcproj_b, out);
  kernels::residual_forward(as_matrix(saved_.res2, N, C), out, out);
  return out;
}

void TransformerBlock::project_rows(const kernels::ConstMatrixF& input, const ParamViews& w,
                                    int weight, int bias, const kernels::MatrixF& out) {
  const std::int64_t C = shape_.n_embd, local = static_cast<std::int64_t>(input.extent(1));
  // The backward's scratch is free during forward (between blocks' backward
  // passes too): the linear layers may put their transposed weights there.
  const auto weight_scratch = as_vector(scratch_->wide);
  const auto matrix = as_matrix(w[weight], C, local);
  if (tp_)
    tensor_parallel::row_parallel_forward(*tp_, input, matrix, optional_view(w, bias), out,
                                          weight_scratch);
  else
    kernels::matmul_forward(input, matrix, optional_view(w, bias), out, weight_scratch);
}

void TransformerBlock::complete_input_grad(const kernels::MatrixF& dinput) {
  if (tp_) tensor_parallel::copy_to_region_backward(*tp_, dinput);
}

// The same kernels on the same input and parameters as the forward, so the
// saved tensors come back bit for bit; out_ (kept) is not recomputed.
void TransformerBlock::recompute(StepContext& ctx, const ParamViews& w) {
  STRATA_EXPECTS(checkpointed_);
  forward_saved(ctx, w);
}

void TransformerBlock::forward_saved(StepContext& ctx, const ParamViews& w) {
  const std::int64_t N = ctx.rows(), C = shape_.n_embd, local = plan_.channels;
  const auto input = input_;
  const auto zero = as_vector(scratch_->zero_bias);
  const auto weight_scratch = as_vector(scratch_->wide);
  auto shift = [&](int index) { return index < 0 ? zero : optional_view(w, index); };

  const auto ln1 = as_matrix(saved_.ln1, N, C);
  kernels::layernorm_forward(input, optional_view(w, at_.ln1_w), shift(at_.ln1_b), ln1,
                             as_vector(saved_.ln1_mean), as_vector(saved_.ln1_rstd));
  const auto qkv = as_matrix(saved_.qkv, N, 3 * local);
  kernels::matmul_forward(ln1, as_matrix(w[at_.attn_w], 3 * local, C), optional_view(w, at_.attn_b),
                          qkv, weight_scratch);
  const auto atty = as_matrix(saved_.atty, N, local);
  if (core_)
    core_->forward(qkv, atty);
  else
    kernels::attention_forward(plan_, qkv, atty, as_vector(saved_.att_saved),
                               as_vector(scratch_->attention));
  // The projection's output is needed only to form residual_2, so it is
  // written straight into that buffer, and the residual added in place in
  // the same pass as ln_2 reads it.
  const auto res2 = as_matrix(saved_.res2, N, C);
  project_rows(atty, w, at_.proj_w, at_.proj_b, res2);
  const auto ln2 = as_matrix(saved_.ln2, N, C);
  kernels::layernorm_residual_forward(input, res2, res2, optional_view(w, at_.ln2_w),
                                      shift(at_.ln2_b), ln2, as_vector(saved_.ln2_mean),
                                      as_vector(saved_.ln2_rstd));
  const auto fc = as_matrix(saved_.fc, N, 4 * local);
  kernels::matmul_forward(ln2, as_matrix(w[at_.fc_w], 4 * local, C), optional_view(w, at_.fc_b), fc,
                          weight_scratch);
  kernels::gelu_forward(fc, as_matrix(saved_.gelu, N, 4 * local));
}

void TransformerBlock::backward(StepContext& ctx, const ParamViews& w, const ParamViews& g,
                                const kernels::MatrixF& dres) {
  const std::int64_t N = ctx.rows(), C = shape_.n_embd, local = plan_.channels;
  const auto sink = as_vector(scratch_->bias_sink);
  auto dshift = [&](int index) { return index < 0 ? sink : optional_view(g, index); };
  const auto wide = as_matrix(scratch_->wide, N, 4 * local);
  const auto narrow = as_matrix(scratch_->narrow, N, C);

  // MLP branch: dres is d out = d(mlp output) (identity path kept in dres).
  // Under tensor parallelism it is the same on every rank, so the c_proj
  // bias's gradient is too.
  kernels::matmul_backward(
      dres, as_matrix(saved_.gelu, N, 4 * local), as_matrix(w[at_.fcproj_w], C, 4 * local), wide,
      as_grad_matrix(g[at_.fcproj_w], C, 4 * local), optional_view(g, at_.fcproj_b));
  kernels::gelu_backward(wide, as_matrix(saved_.fc, N, 4 * local), wide);
  kernels::matmul_backward(wide, as_matrix(saved_.ln2, N, C), as_matrix(w[at_.fc_w], 4 * local, C),
                           narrow, as_grad_matrix(g[at_.fc_w], 4 * local, C),
                           optional_view(g, at_.fc_b));
  complete_input_grad(narrow);
  kernels::layernorm_backward(narrow, as_matrix(saved_.res2, N, C), optional_view(w, at_.ln2_w),
                              as_vector(saved_.ln2_mean), as_vector(saved_.ln2_rstd), dres,
                              optional_view(g, at_.ln2_w), dshift(at_.ln2_b));
  // dres is now d residual_2; the attention branch reads it the same way.
  const auto datty = kernels::MatrixF(scratch_->narrow.data<float>(), N, local);
  kernels::matmul_backward(dres, as_matrix(saved_.atty, N, local),
                           as_matrix(w[at_.proj_w], C, local), datty,
                           as_grad_matrix(g[at_.proj_w], C, local), optional_view(g, at_.proj_b));
  const auto dqkv = kernels::MatrixF(scratch_->wide.data<float>(), N, 3 * local);
  if (core_)
    core_->backward(datty, dqkv);
  else
    kernels::attention_backward(plan_, datty, as_matrix(saved_.qkv, N, 3 * local),
                                as_matrix(saved_.atty, N, local), as_vector(saved_.att_saved), dqkv,
                                as_vector(scratch_->attention));
  kernels::matmul_backward(
      dqkv, as_matrix(saved_.ln1, N, C), as_matrix(w[at_.attn_w], 3 * local, C), narrow,
      as_grad_matrix(g[at_.attn_w], 3 * local, C), optional_view(g, at_.attn_b));
  complete_input_grad(narrow);
  kernels::layernorm_backward(narrow, input_, optional_view(w, at_.ln1_w),
                              as_vector(saved_.ln1_mean), as_vector(saved_.ln1_rstd), dres,
                              optional_view(g, at_.ln1_w), dshift(at_.ln1_b));
}

}  // namespace strata::model
