// Checks and set-up a run does before it allocates: the layout it can run,
// the output directory, the token file against the model.
#pragma once

#include <mpi.h>

#include <string>

#include "config/config.hpp"
#include "io/token_dataset_reader.hpp"
#include "model/gpt_params.hpp"

namespace strata::engine {

model::GptShape gpt_shape(const config::ModelSection& model);

// Blocks to checkpoint, from h.0: 0 when [activation_checkpointing] is off,
// n_layer for num_blocks = 0. The config must be validated.
int checkpointed_blocks(const config::Config& config);

// Input errors (all ranks) for what this engine does not run yet: model
// parallelism (pp, ep above 1), offloading, Adam with coupled
// decay, dropout. Pure; the same on every rank.
void require_supported(const config::Config& config, int world_size);

// Creates dir (and parents) and checks that files can be made in it.
void prepare_output_dir(const std::string& dir);

// Opens [data] path collectively, checked against the deck's tokenizer and
// block size; a tokenizer vocabulary larger than [model] vocab_size is an
// input error naming both (a smaller one is padding: allowed).
io::TokenDataset open_training_data(const config::Config& config, MPI_Comm comm);

}  // namespace strata::engine
