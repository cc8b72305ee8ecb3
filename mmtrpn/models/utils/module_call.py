"""How a detector runs its classifier module: a plain call by default; the
masked branch passes the proposal stage's gated call instead."""
import torch.nn as nn


def call_module(module: nn.Module, *args, **kwargs):
    """``module(*args, **kwargs)``."""
    return module(*args, **kwargs)
