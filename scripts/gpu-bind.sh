#!/usr/bin/env bash
# gpu-bind.sh <command...>: runs the command with one GPU of the node made
# visible to this rank, chosen by its node-local rank (Slurm's SLURM_LOCALID,
# or Open MPI's / MPICH's local rank under mpirun). For launches that give
# every task all of a node's GPUs (srun --gpus-per-node=N --gpu-bind=none),
# which keeps CUDA IPC working where Slurm's per-task cgroups would break it
# (docs/gpu.md). A variable already set by the site is left alone.
set -euo pipefail
local_rank="${SLURM_LOCALID:-${OMPI_COMM_WORLD_LOCAL_RANK:-${MPI_LOCALRANKID:-}}}"
if [[ -z "$local_rank" ]]; then
  echo "gpu-bind.sh: no node-local rank (SLURM_LOCALID, OMPI_COMM_WORLD_LOCAL_RANK or" \
       "MPI_LOCALRANKID); launch through srun or mpirun" >&2
  exit 1
fi
export CUDA_VISIBLE_DEVICES="${CUDA_VISIBLE_DEVICES:-$local_rank}"
export ROCR_VISIBLE_DEVICES="${ROCR_VISIBLE_DEVICES:-$local_rank}"
exec "$@"
