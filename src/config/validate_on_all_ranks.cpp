// The only MPI in the config layer: every rank validates, all agree.
#include "config/validate.hpp"

#include "core/app.hpp"
#include "core/check.hpp"

namespace strata::config {

void validate_on_all_ranks(Config& config, MPI_Comm comm) {
  int world_size = 0;
  STRATA_CHECK_MPI(MPI_Comm_size(comm, &world_size));
  agree_on_success(comm, [&] { validate(config, world_size); });
}

}  // namespace strata::config
