// TransformerBlock: GPT-2's pre-LN block, x + attn(ln_1(x)) then
// + mlp(ln_2(·)), with a backward that updates one residual-gradient buffer
// in place (each branch's LayerNorm backward adds into it).
#include <algorithm>

#include "kernels/attention.hpp"
#include "kernels/gelu.hpp"
#include "kernels/layernorm.hpp"
#include "kernels/matmul.hpp"
#include "kernels/residual.hpp"
#include "model/gpt_layers.hpp"

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
  wide = make(ledger, "blocks.scratch.wide", {N, 4 * C}, MemoryCategory::workspace);
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
                                   std::unique_ptr<AttentionCore> core)
    : shape_(shape),
      index_(index),
      specs_(gpt_block_params(shape, index)),
      plan_(plan),
      scratch_(std::move(scratch)),
      core_(std::move(core)) {
  const std::string p = name() + ".";
  auto at = [&](const std::string& suffix) { return find_param(specs_, p + suffix); };
  at_ = {at("ln_1.weight"),      at("ln_1.bias"),          at("attn.c_attn.weight"),
         at("attn.c_attn.bias"), at("attn.c_proj.weight"), at("attn.c_proj.bias"),
         at("ln_2.weight"),      at("ln_2.bias"),          at("mlp.c_fc.weight"),
         at("mlp.c_fc.bias"),    at("mlp.c_proj.weight"),  at("mlp.c_proj.bias")};
  const std::int64_t N = static_cast<std::int64_t>(plan.batch) * plan.seq, C = shape.n_embd;
  ln1_ = make(ledger, p + "ln_1.out", {N, C});
  ln1_mean_ = make(ledger, p + "ln_1.mean", {N});
  ln1_rstd_ = make(ledger, p + "ln_1.rstd", {N});
  qkv_ = make(ledger, p + "attn.qkv", {N, 3 * C});
  atty_ = make(ledger, p + "attn.out", {N, C});
  att_saved_ = make(ledger, p + "attn.saved",
                    {static_cast<std::int64_t>(std::max<std::size_t>(plan.saved_floats, 1))});
  res2_ = make(ledger, p + "residual_2", {N, C});
  ln2_ = make(ledger, p + "ln_2.out", {N, C});
  ln2_mean_ = make(ledger, p + "ln_2.mean", {N});
  ln2_rstd_ = make(ledger, p + "ln_2.rstd", {N});
  fc_ = make(ledger, p + "mlp.fc", {N, 4 * C});
  gelu_ = make(ledger, p + "mlp.gelu", {N, 4 * C});
  out_ = make(ledger, p + "out", {N, C});
}

kernels::ConstMatrixF TransformerBlock::forward(StepContext& ctx, const ParamViews& w,
                                                const kernels::ConstMatrixF& input) {
  const std::int64_t N = ctx.rows(), C = shape_.n_embd;
  input_ = input;
  const auto zero = as_vector(scratch_->zero_bias);
  // The backward's scratch is free during forward (between blocks' backward
  // passes too): the linear layers may put their transposed weights there.
  const auto weight_scratch = as_vector(scratch_->wide);
  auto shift = [&](int index) { return index < 0 ? zero : optional_view(w, index); };

  const auto ln1 = as_matrix(ln1_, N, C);
  kernels::layernorm_forward(input, optional_view(w, at_.ln1_w), shift(at_.ln1_b), ln1,
                             as_vector(ln1_mean_), as_vector(ln1_rstd_));
  const auto qkv = as_matrix(qkv_, N, 3 * C);
  kernels::matmul_forward(ln1, as_matrix(w[at_.attn_w], 3 * C, C), optional_view(w, at_.attn_b),
                          qkv, weight_scratch);
  const auto atty = as_matrix(atty_, N, C);
  if (core_)
    core_->forward(qkv, atty);
  else
    kernels::attention_forward(plan_, qkv, atty, as_vector(att_saved_),
                               as_vector(scratch_->attention));
  // The projection's output is needed only to form residual_2, so it is
  // written straight into that buffer, and the residual added in place in
  // the same pass as ln_2 reads it.
  const auto res2 = as_matrix(res2_, N, C);
  kernels::matmul_forward(atty, as_matrix(w[at_.proj_w], C, C), optional_view(w, at_.proj_b), res2,
                          weight_scratch);
  const auto ln2 = as_matrix(ln2_, N, C);
  kernels::layernorm_residual_forward(input, res2, res2, optional_view(w, at_.ln2_w),
                                      shift(at_.ln2_b), ln2, as_vector(ln2_mean_),
                                      as_vector(ln2_rstd_));
  const auto fc = as_matrix(fc_, N, 4 * C);
  kernels::matmul_forward(ln2, as_matrix(w[at_.fc_w], 4 * C, C), optional_view(w, at_.fc_b), fc,
                          weight_scratch);
  const auto gelu = as_matrix(gelu_, N, 4 * C);
  kernels::gelu_forward(fc, gelu);
  const auto out = as_matrix(out_, N, C);
  kernels::matmul_forward(gelu, as_matrix(w[at_.fcproj_w], C, 4 * C),
                          optional_view(w, at_.fcproj_b), out, weight_scratch);
  kernels::residual_forward(res2, out, out);
  return out;
}

void TransformerBlock::backward(StepContext& ctx, const ParamViews& w, const ParamViews& g,
                                const kernels::MatrixF& dres) {
  const std::int64_t N = ctx.rows(), C = shape_.n_embd;
  const auto sink = as_vector(scratch_->bias_sink);
  auto dshift = [&](int index) { return index < 0 ? sink : optional_view(g, index); };
  const auto wide = as_matrix(scratch_->wide, N, 4 * C);
  const auto narrow = as_matrix(scratch_->narrow, N, C);

  // MLP branch: dres is d out = d(mlp output) (identity path kept in dres).
  kernels::matmul_backward(dres, as_matrix(gelu_, N, 4 * C), as_matrix(w[at_.fcproj_w], C, 4 * C),
                           wide, as_grad_matrix(g[at_.fcproj_w], C, 4 * C),
                           optional_view(g, at_.fcproj_b));
  kernels::gelu_backward(wide, as_matrix(fc_, N, 4 * C), wide);
  kernels::matmul_backward(wide, as_matrix(ln2_, N, C), as_matrix(w[at_.fc_w], 4 * C, C), narrow,
                           as_grad_matrix(g[at_.fc_w], 4 * C, C), optional_view(g, at_.fc_b));
  kernels::layernorm_backward(narrow, as_matrix(res2_, N, C), optional_view(w, at_.ln2_w),
                              as_vector(ln2_mean_), as_vector(ln2_rstd_), dres,
                              optional_view(g, at_.ln2_w), dshift(at_.ln2_b));
  // dres is now d residual_2; the attention branch reads it the same way.
  kernels::matmul_backward(dres, as_matrix(atty_, N, C), as_matrix(w[at_.proj_w], C, C), narrow,
                           as_grad_matrix(g[at_.proj_w], C, C), optional_view(g, at_.proj_b));
  const auto dqkv = kernels::MatrixF(scratch_->wide.data<float>(), N, 3 * C);
  if (core_)
    core_->backward(narrow, dqkv);
  else
    kernels::attention_backward(plan_, narrow, as_matrix(qkv_, N, 3 * C), as_matrix(atty_, N, C),
                                as_vector(att_saved_), dqkv, as_vector(scratch_->attention));
  kernels::matmul_backward(dqkv, as_matrix(ln1_, N, C), as_matrix(w[at_.attn_w], 3 * C, C), narrow,
                           as_grad_matrix(g[at_.attn_w], 3 * C, C), optional_view(g, at_.attn_b));
  kernels::layernorm_backward(narrow, input_, optional_view(w, at_.ln1_w), as_vector(ln1_mean_),
                              as_vector(ln1_rstd_), dres, optional_view(g, at_.ln1_w),
                              dshift(at_.ln1_b));
}

}  // namespace strata::model
