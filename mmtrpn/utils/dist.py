"""Process-group set-up that works with and without CUDA."""
import gc
import os

import torch
import torch.distributed as torch_dist


def init_cpu_process_group(launcher):
    """Start a gloo process group for CPU-only data-parallel runs.

    MMEngine's ``init_dist`` calls ``torch.cuda.set_device``, which fails on
    CPU builds; the Runner skips ``init_dist`` when a group already exists,
    so on CPU we create it here. On GPU machines this does nothing and the
    Runner uses NCCL as usual.
    """
    if launcher == 'none' or torch.cuda.is_available():
        return False
    if torch_dist.is_available() and torch_dist.is_initialized():
        return False
    if launcher == 'slurm':
        # Map Slurm's variables onto torch's, as MMEngine does for GPUs.
        os.environ.setdefault('RANK', os.environ['SLURM_PROCID'])
        os.environ.setdefault('WORLD_SIZE', os.environ['SLURM_NTASKS'])
        os.environ.setdefault('LOCAL_RANK', os.environ['SLURM_LOCALID'])
        os.environ.setdefault('MASTER_PORT', '29500')
        os.environ.setdefault('MASTER_ADDR', '127.0.0.1')
    elif launcher != 'pytorch':
        raise ValueError(f'launcher {launcher!r} is not supported on CPU; '
                         'use "pytorch" or "slurm"')
    torch_dist.init_process_group(backend='gloo')
    return True


def shutdown_distributed():
    """Tear down cleanly: avoids an intermittent abort at exit under DDP."""
    gc.collect()
    if torch_dist.is_available() and torch_dist.is_initialized():
        torch_dist.destroy_process_group()
