"""The ground floor of ``mmtrpn.models``: temporal ops on padded batches
and config checks. Everything in ``models/`` may import it; it imports
nothing from ``models/``."""
from .config import (CO2_INIT, build_with_defaults, check_choice,
                     merge_defaults)
from .module_call import call_module
from .temporal import (append_background, masked_avg_pool, masked_mean,
                       pad_inputs, top_fraction_mask, topk_pool)

__all__ = [
    'pad_inputs', 'masked_mean', 'topk_pool', 'top_fraction_mask',
    'masked_avg_pool', 'append_background', 'check_choice',
    'merge_defaults', 'CO2_INIT', 'build_with_defaults', 'call_module'
]
