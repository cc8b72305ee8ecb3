"""Where the masked branch pushes the T-RPN's mask, in a short training run.

Trains one Table 4 cell (``benchmarks/cells.yml``, adapted as
``benchmarks.table4`` adapts it) for ``--iters`` Adam steps on the Table 4
data and, every ``--every`` steps, records the training mask's share of
real snippets (``proposal_ratio``), the means of ``FSS_trpn`` and of the
detector's foreground curve, and the gradient of ``loss_mil_proposal``
into the mask summed over four groups of snippets: in / out of the mask x
zeroed / kept by the detector's snippet dropout (``out['dropped']``; all
kept for a detector without one), per video. A positive sum lowers the
mask there. Also the gradient of each stage loss into the bias of the
T-RPN's last layer (its level). ASM-Loc cells need the previous step's
pseudo segments (``--segment-file``).

Example (from the repository root)::

    .venv/bin/python -m benchmarks.mask_gradient_probe --data-root \\
        work_dirs/abl_A --segment-file <step2>/pseudo_segments.json \\
        --cell asmloc_trpn-pl --seed 10 --out-json probe.json
"""
import argparse
import sys
import time

import torch


def parse_args():
    from benchmarks.runs import add_data_args
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add_data_args(p)
    p.add_argument('--cell', required=True, help='a table4 cell key')
    p.add_argument('--seed', type=int, default=10)
    p.add_argument('--iters', type=int, default=150)
    p.add_argument('--every', type=int, default=25)
    p.add_argument('--lr', type=float, default=1e-3)
    p.add_argument('--hidden', type=int, default=64)
    p.add_argument('--segment-file', default=None)
    p.add_argument('--work-dir', default='work_dirs/mask_gradient_probe')
    p.add_argument('--out-json', required=True)
    return p.parse_args()


def group_sums(grad, mask, kept, valid):
    """(in / out of the mask) x (zeroed / kept rows) sums of ``grad`` per
    video, and the snippet counts."""
    m = mask.detach()
    groups = dict(kept_in=kept * m, zeroed_in=(valid - kept) * m,
                  kept_out=kept * (1 - m), zeroed_out=(valid - kept) * (1 - m))
    b = valid.shape[0]
    return {k: dict(grad=float((grad * g).sum() / b), snippets=float(
        g.sum() / b)) for k, g in groups.items()}


def main():
    from mmengine.config import Config
    from mmengine.runner import Runner

    from benchmarks import table4
    from mmtrpn.models.utils import masked_mean
    from mmtrpn.utils import atomic_write_json, register_all_modules
    args = parse_args()
    register_all_modules()
    torch.set_num_threads(1)
    cfg = Config.fromfile(table4.config_path(table4.CELLS[args.cell]))
    table4.adapt_cfg(cfg, args, args.seed, args.work_dir, args.segment_file,
                     args.iters)
    runner = Runner.from_cfg(cfg)
    model = runner.model
    bias = model.proposal_stage.rpn_head.conv_out.bias
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    seen = {}
    branch = model.proposal_branch_loss

    def keep_outputs(out, labels, valid, data_samples):
        losses = branch(out, labels, valid, data_samples)
        seen.update(out=out, valid=valid)
        return losses
    model.proposal_branch_loss = keep_outputs
    rows, step, tic = [], 0, time.process_time()
    while step < args.iters:
        for batch in runner.train_dataloader:
            losses = model(**model.data_preprocessor(batch, True),
                           mode='loss')
            terms = {k: v for k, v in losses.items() if 'loss' in k}
            if step % args.every == 0 or step == args.iters - 1:
                rows.append(record(step, terms, seen['out'], seen['valid'],
                                   bias, model, masked_mean))
                print(rows[-1], flush=True)
            opt.zero_grad()
            sum(terms.values()).backward()
            opt.step()
            step += 1
            if step >= args.iters:
                break
    atomic_write_json(args.out_json, dict(
        command='python -m benchmarks.mask_gradient_probe ' +
        ' '.join(sys.argv[1:]), cpu_s=time.process_time() - tic,
        args=vars(args), rows=rows), indent=1)


def record(step, terms, out, valid, bias, model, masked_mean):
    mask = out['proposal_mask']
    kept = (out.get('dropped', out['feat']).detach().abs().sum(-1) >
            0).to(valid.dtype) * valid
    grad_mask, = torch.autograd.grad(terms['loss_mil_proposal'], mask,
                                     retain_graph=True)
    level = {}
    for k in ('loss_mil_proposal', 'loss_kl', 'loss_ml', 'loss_fss_norm'):
        if k in terms:
            level[k], = torch.autograd.grad(terms[k], bias,
                                            retain_graph=True)
    fg = model.training_foreground(out, valid)[0]
    return dict(
        step=step,
        proposal_ratio=float(masked_mean(mask.detach(), valid)),
        fss_trpn_mean=float(masked_mean(out['fss_trpn'].detach(), valid)),
        fg_mean=float(masked_mean(fg.detach(), valid)),
        loss={k: float(v) for k, v in terms.items()},
        mask_grad=group_sums(grad_mask, mask, kept, valid),
        trpn_bias_grad={k: float(v.sum()) for k, v in level.items()})


if __name__ == '__main__':
    main()
