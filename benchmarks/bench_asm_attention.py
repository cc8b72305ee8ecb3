"""Time ASM-Loc's intra-segment attention (fused kernel, per block of
overlapping segments) against the plain masked softmax over the full
(T, T) grid, and the fused kernel over the full grid; checks that all three
give the same output.

Segments are the ground truth of THUMOS-14 validation videos from the
committed layout (a stand-in for pseudo segments, whose count and lengths
they resemble), on ``--rows`` rows sampled uniformly over each video, as
ASM-Loc's training batches. Forward + backward, one thread.

    python benchmarks/bench_asm_attention.py [--width 64] \
        [--out-json docs/results/bench_asm_attention.json]
"""
import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

try:
    import mmtrpn  # noqa: F401
except ImportError:  # run from a checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mmtrpn.models.necks import IntraSegmentAttention  # noqa: E402
from mmtrpn.models.necks.asm_attention import masked_attention  # noqa
from mmtrpn.structures.segments import (  # noqa: E402
    DEFAULT_SNIPPET_DURATION, segment_membership)
from mmtrpn.testing import reference_masked_attention  # noqa: E402
from mmtrpn.utils import atomic_write_json  # noqa: E402

LAYOUT = Path(__file__).resolve().parent / 'data' / 'thumos14_layout.json'


def batch_membership(batch, rows, rng):
    """(B, rows, K_max) membership of ``batch`` random validation videos."""
    database = json.loads(LAYOUT.read_text())['database']
    videos = [v for _, v in sorted(database.items())
              if v['subset'] == 'validation' and v['annotations']]
    picks = rng.choice(len(videos), batch, replace=False)
    masks = []
    for i in picks:
        v = videos[i]
        snippets = v['duration'] / DEFAULT_SNIPPET_DURATION
        pos = torch.linspace(0, snippets - 1, rows, dtype=torch.float64)
        segs = torch.tensor([a['segment'] for a in v['annotations']])
        masks.append(segment_membership(pos, segs, DEFAULT_SNIPPET_DURATION))
    k = max(m.shape[1] for m in masks)
    out = torch.zeros(batch, rows, k)
    for i, m in enumerate(masks):
        out[i, :, :m.shape[1]] = m.float()
    return out


def timed(fn, repeat):
    fn()  # warm-up
    tic = time.perf_counter()
    for _ in range(repeat):
        out = fn()
    return (time.perf_counter() - tic) / repeat, out


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--batch', type=int, default=16)
    p.add_argument('--rows', type=int, default=750)
    p.add_argument('--width', type=int, default=64)
    p.add_argument('--heads', type=int, default=8)
    p.add_argument('--repeat', type=int, default=3)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--out-json')
    args = p.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    member = batch_membership(args.batch, args.rows,
                              np.random.default_rng(args.seed))
    valid = torch.ones(args.batch, args.rows)
    module = IntraSegmentAttention(args.width, heads=args.heads).train()
    torch.nn.init.uniform_(module.bn.weight)  # a non-identity block
    x = torch.randn(args.batch, args.width, args.rows, requires_grad=True)
    together = torch.einsum('bik,bjk->bij', member, member) > 0

    def blocked():
        y = module(x, member, valid)
        y.sum().backward()
        return y.detach()

    def full_grid(attention):
        def run():
            y = module._residual(
                x, module._attend(x, together, attention), valid)
            y.sum().backward()
            return y.detach()
        return run

    t_block, y_block = timed(blocked, args.repeat)
    t_fused, y_fused = timed(full_grid(masked_attention), args.repeat)
    t_plain, y_plain = timed(full_grid(reference_masked_attention),
                             args.repeat)
    covered = member.any(-1).float().mean().item()
    res = dict(
        command=' '.join(['python benchmarks/bench_asm_attention.py'] +
                         sys.argv[1:]),
        torch=torch.__version__, threads=1, batch=args.batch,
        rows=args.rows, width=args.width, heads=args.heads,
        rows_in_segments=round(covered, 3),
        plain_full_grid_s=round(t_plain, 4),
        fused_full_grid_s=round(t_fused, 4), blocked_s=round(t_block, 4),
        speedup_fused=round(t_plain / t_fused, 1),
        speedup_blocked=round(t_plain / t_block, 1),
        max_abs_diff=max(float((y - y_plain).abs().max())
                         for y in (y_fused, y_block)))
    print(json.dumps(res, indent=1))
    if args.out_json:
        atomic_write_json(args.out_json, res, indent=1)


if __name__ == '__main__':
    main()
