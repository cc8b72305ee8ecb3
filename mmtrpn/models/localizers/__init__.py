from .dtrp_loc import DTRPLoc, pad_inputs

__all__ = ['DTRPLoc', 'pad_inputs']
