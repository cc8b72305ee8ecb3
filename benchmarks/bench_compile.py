"""Does ``torch.compile`` speed up a training step? Eager vs compiled in
the same run, on this machine's device.

Builds the model of a config (default ``configs/dtrp_loc/trpn_synthetic.py``),
draws one random batch of its training shape, and times ``--iters``
forward + backward + Adam steps eagerly and through
``torch.compile(model)`` (after ``--warmup`` steps, which include the
compilation, timed apart). CPU seconds (user + system) are reported beside
wall seconds: the machine is shared.

    python benchmarks/bench_compile.py --out-json docs/results/bench_compile_cpu.json
"""
import argparse
import json
import os
import os.path as osp
import resource
import sys
import time

import torch

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--config', default='configs/dtrp_loc/trpn_synthetic.py')
    p.add_argument('--iters', type=int, default=20)
    p.add_argument('--warmup', type=int, default=3)
    p.add_argument('--out-json')
    return p.parse_args()


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def build(cfg):
    from mmtrpn.registry import MODELS
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.train()
    return model, torch.optim.Adam(model.parameters(), lr=1e-4)


def batch(cfg, model):
    from mmtrpn.structures.wstal_data_sample import WSTALDataSample
    loader = cfg.train_dataloader
    steps = [t for t in loader.dataset.pipeline if t.type == 'SampleSnippets']
    num = steps[0].num_snippets
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(loader.batch_size, num, sum(model.feature_dims),
                    generator=gen)
    samples = []
    for _ in range(loader.batch_size):
        s = WSTALDataSample(metainfo=dict(snippet_duration=0.64))
        label = torch.zeros(model.num_classes)
        label[torch.randint(model.num_classes, (1, ), generator=gen)] = 1
        s.gt_label = label
        samples.append(s)
    return x, samples


def time_steps(step, n):
    tic, cpu = time.perf_counter(), cpu_seconds()
    for _ in range(n):
        step()
    return time.perf_counter() - tic, cpu_seconds() - cpu


def measure(cfg, args, compiled):
    model, optim = build(cfg)
    x, samples = batch(cfg, model)
    run = torch.compile(model) if compiled else model

    def step():
        optim.zero_grad()
        losses = run(x, samples, mode='loss')
        sum(v for k, v in losses.items() if 'loss' in k).backward()
        optim.step()

    warm_wall, warm_cpu = time_steps(step, args.warmup)
    wall, cpu = time_steps(step, args.iters)
    return dict(warmup_wall_s=round(warm_wall, 2),
                warmup_cpu_s=round(warm_cpu, 2),
                step_wall_s=round(wall / args.iters, 4),
                step_cpu_s=round(cpu / args.iters, 4))


def main():
    args = parse_args()
    from mmengine.config import Config

    from mmtrpn.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(osp.join(ROOT, args.config))
    out = dict(command=' '.join(['python benchmarks/bench_compile.py'] +
                                sys.argv[1:]),
               config=args.config, torch=torch.__version__,
               threads=torch.get_num_threads(), iters=args.iters,
               eager=measure(cfg, args, False))
    try:
        out['compiled'] = measure(cfg, args, True)
        out['speedup_cpu_time'] = round(
            out['eager']['step_cpu_s'] / out['compiled']['step_cpu_s'], 2)
    except Exception as e:  # report why compile cannot run here
        out['compiled'] = dict(error=f'{type(e).__name__}: {e}'[:500])
    out['load_average_after'] = [round(v, 2) for v in os.getloadavg()]
    print(json.dumps(out, indent=1))
    if args.out_json:
        from mmtrpn.utils import atomic_write_json
        atomic_write_json(args.out_json, out, indent=1)


if __name__ == '__main__':
    main()
