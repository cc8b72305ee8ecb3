"""Plain masked attention: the reference for ASM-Loc's segment attention."""
import torch


def reference_masked_attention(q, k, v, allowed):
    """Softmax over the allowed keys of ``q k^T / sqrt(d)``, times ``v``;
    q, k, v (..., N, d), allowed (..., N, N) bool, over the full grid. A row
    with none allowed gives 0 (ASM-Loc: ``nan_to_num`` after a -inf softmax;
    here without the NaN, so gradients stay finite)."""
    sim = q @ k.transpose(-1, -2) * q.shape[-1]**-0.5
    any_allowed = allowed.any(-1, keepdim=True)
    sim = sim.masked_fill(~allowed, float('-inf'))
    sim = torch.where(any_allowed, sim, torch.zeros_like(sim))
    attn = torch.softmax(sim, dim=-1) * any_allowed.to(sim.dtype)
    return attn @ v
