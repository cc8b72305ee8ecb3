"""Record what a refactor must not change: the demo's mAP table and one
Table 4 cell per detector, with a digest of every final state_dict.

Runs, with a fixed seed, in the repository given by ``--root`` (the
checkout whose ``mmtrpn`` is on ``PYTHONPATH``):

1. the README demo: ``tools/data/make_synthetic.py --seed 0``,
   ``tools/train.py`` on the demo config read as the paper states it,
   ``tools/test.py`` on the last checkpoint (the printed mAP table is kept,
   and the checkpoint's state_dict digest);
2. the T-RPN* cell of Table 4 for DTRP-Loc, CO2-Net and ASM-Loc (ASM-Loc
   after its steps 0-2, which write the pseudo segments through
   ``PseudoSegmentExportHook``), on the synthetic features over the
   committed THUMOS-14 layout, trained ``--iters`` iterations and scored
   on the test split.

Each part runs the first of its candidate configs (``DEMO_CONFIGS``,
``CELLS``) that the checkout has: the paper-literal file wherever the
layout of configs/ put it. The defaults (``dtrp_loc/trpn_synthetic.py``,
``dtrp_loc/trpn_thumos.py``) added deviations on purpose, so an "after"
side must run the paper file to compare with a checkout from before.
The data adaptation is this checkout's ``benchmarks/runs.py``, loaded from
its file, whichever checkout ``--root`` is.

Writes one JSON (``--out``); run it before and after a change and compare
the two files with ``--compare``. Example::

    python benchmarks/check_identity.py --out before.json
    ...change the code...
    python benchmarks/check_identity.py --out after.json
    python benchmarks/check_identity.py --compare before.json after.json
"""
import argparse
import hashlib
import importlib.util
import json
import os
import os.path as osp
import re
import subprocess
import sys
import time

HERE = osp.dirname(osp.dirname(osp.abspath(__file__)))
LAYOUT = 'benchmarks/data/thumos14_layout.json'
# the paper-literal file of each part in every layout configs/ has had,
# newest first (a checkout's first existing one runs)
DEMO_CONFIGS = ['configs/dtrp_loc/trpn_synthetic_paper.py',
                'configs/trpn_synthetic_paper.py',
                'configs/dtrp_loc/trpn_synthetic.py',
                'configs/trpn_synthetic.py']
CELLS = {
    'dtrploc_trpn-pl': ['configs/dtrp_loc/trpn_thumos_paper.py',
                        'configs/ablations/t4_dtrploc_trpn-pl.py',
                        'configs/dtrp_loc/trpn_thumos.py'],
    'co2net_trpn-pl': ['configs/ablations/t4_co2net_trpn-pl.py'],
    'asmloc_trpn-pl': ['configs/ablations/t4_asmloc_trpn-pl.py'],
}
ASM_STEPS = ['configs/asm_loc/asm_loc_thumos_step0.py',
             'configs/asm_loc/asm_loc_thumos_step1.py',
             'configs/asm_loc/asm_loc_thumos_step2.py']


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--root', default=HERE,
                   help='repository whose configs and tools are run')
    p.add_argument('--out', help='JSON to write')
    p.add_argument('--work-dir', default='work_dirs/check_identity')
    p.add_argument('--only', nargs='+',
                   help="parts to run: 'demo' and/or cell keys")
    p.add_argument('--dim', type=int, default=32, help='width per modality')
    p.add_argument('--max-videos', type=int, default=60)
    p.add_argument('--iters', type=int, default=60,
                   help='iterations of every Table 4 cell')
    p.add_argument('--asm-step-iters', type=int, default=20,
                   help='iterations of ASM-Loc steps 0-2')
    p.add_argument('--hidden', type=int, default=64)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--compare', nargs=2, metavar=('BEFORE', 'AFTER'),
                   help='compare two written JSON files, run nothing')
    p.add_argument('--compare-train-logs', nargs=2,
                   metavar=('BEFORE_LOG', 'AFTER_LOG'),
                   help='compare the values two training logs printed at '
                   'the iterations both reached (a run cut short), write '
                   '--out, run nothing')
    p.add_argument('--cell', help=argparse.SUPPRESS)
    p.add_argument('--cell-out', help=argparse.SUPPRESS)
    return p.parse_args()


def find_config(root, candidates):
    """The first of ``candidates`` (paths under ``root``) that exists."""
    for config in candidates:
        if osp.isfile(osp.join(root, config)):
            return config
    sys.exit(f'{root} has none of the configs {candidates}')


def shared_runs():
    """This checkout's ``benchmarks/runs.py``, loaded from its file: the
    ``--root`` checkout on PYTHONPATH may predate it."""
    spec = importlib.util.spec_from_file_location(
        'identity_runs', osp.join(HERE, 'benchmarks', 'runs.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def state_digest(state_dict):
    """sha256 over every (key, dtype, shape, bytes) of a state_dict, keys
    sorted: equal digests mean bit-identical parameters and buffers."""
    h = hashlib.sha256()
    for key in sorted(state_dict):
        t = state_dict[key].detach().cpu().contiguous()
        h.update(key.encode())
        h.update(str(t.dtype).encode())
        h.update(str(tuple(t.shape)).encode())
        h.update(t.numpy().tobytes())
    return h.hexdigest()


def run(cmd, root, log):
    """Run ``cmd`` in ``root`` with its output in ``log``; a step that
    finished in an earlier, interrupted call (``log.done``) is not rerun."""
    if osp.isfile(log + '.done'):
        return open(log).read()
    env = dict(os.environ, PYTHONPATH=root)
    with open(log, 'w') as f:
        proc = subprocess.run(cmd, cwd=root, env=env, stdout=f,
                              stderr=subprocess.STDOUT, text=True)
    text = open(log).read()
    if proc.returncode:
        sys.exit(f'{" ".join(cmd)} failed ({proc.returncode}); see {log}\n'
                 + text[-3000:])
    open(log + '.done', 'w').close()
    return text


def demo(args, work):
    data = osp.join(work, 'demo_data')
    wd = osp.join(work, 'demo')
    py = sys.executable
    make = [py, 'tools/data/make_synthetic.py', '--out', data, '--seed', '0']
    data_opt = ['--cfg-options', *(
        f'{k}.dataset.data_root={data}'
        for k in ('train_dataloader', 'val_dataloader', 'test_dataloader'))]
    config = find_config(args.root, DEMO_CONFIGS)
    train = [py, 'tools/train.py', config, '--work-dir', wd, *data_opt]
    tic = time.time()
    run(make, args.root, osp.join(work, 'demo_make.log'))
    run(train, args.root, osp.join(work, 'demo_train.log'))
    ckpts = sorted((f for f in os.listdir(wd) if re.match(r'iter_\d+\.pth',
                                                          f)),
                   key=lambda f: int(re.findall(r'\d+', f)[0]))
    ckpt = osp.join(wd, ckpts[-1])
    test = [py, 'tools/test.py', config, ckpt, '--work-dir',
            osp.join(work, 'demo_test'), *data_opt]
    out = run(test, args.root, osp.join(work, 'demo_test.log'))
    metrics = dict(re.findall(r'wstal/(\S+): (-?[\d.]+)', out))
    from mmtrpn.utils.compat import load_checkpoint_file
    state = load_checkpoint_file(ckpt, map_location='cpu')['state_dict']
    return dict(config=config, checkpoint=osp.basename(ckpt),
                metrics={k: float(v) for k, v in metrics.items()},
                state_digest=state_digest(state),
                seconds=round(time.time() - tic, 1))


# ---------------------------------------------------------- Table 4 cells
def table4_data(args, work):
    """The synthetic features over the committed THUMOS-14 layout (the
    generator of benchmarks/table4.py), made once."""
    root = osp.join(work, 'table4_data')
    ann = osp.join(root, 'annotations.json')
    if not osp.isfile(ann):
        from mmtrpn.datasets.synthetic import (SyntheticConfig,
                                               generate_synthetic)
        generate_synthetic(root, SyntheticConfig(seed=0, dim=args.dim),
                           layout_file=osp.join(args.root, LAYOUT),
                           max_videos=args.max_videos)
    return root


def adapt(cfg, args, data_root, work_dir, iters, segment_file=None):
    """Point a Table 4 config at the generated data as the Table 4 runner
    does (``benchmarks/runs.py``: widths, class count, one process,
    ``iters`` iterations, no validation or checkpoints, the seed; small
    hidden widths), keeping each config's learning rate."""
    runs = shared_runs()
    data = argparse.Namespace(dim=args.dim, data_root=data_root,
                              iters=iters, heldout_per_class=0)
    runs.adapt_runtime(cfg, data, args.seed, work_dir)
    runs.set_segment_file(cfg, segment_file)
    return runs.adapt_model_widths(cfg, args.hidden)


def cell_worker(args):
    """One cell (or ASM-Loc step) in its own process, so no random state
    is shared between runs."""
    import torch
    torch.set_num_threads(1)
    from mmengine.config import Config
    from mmengine.runner import Runner

    from mmtrpn.utils import register_all_modules
    register_all_modules()
    spec = json.loads(args.cell)
    cfg = Config.fromfile(osp.join(args.root, spec['config']))
    cfg = adapt(cfg, args, spec['data_root'], spec['work_dir'],
                spec['iters'], spec.get('segment_file'))
    runner = Runner.from_cfg(cfg)
    runner.train()
    res = dict(config=spec['config'], iters=spec['iters'],
               state_digest=state_digest(runner.model.state_dict()))
    if spec.get('test', True):
        res['metrics'] = {k.split('/')[-1]: float(v)
                          for k, v in runner.test().items()}
    seg = osp.join(spec['work_dir'], 'pseudo_segments.json')
    if osp.isfile(seg):
        with open(seg, 'rb') as f:
            res['pseudo_segments_sha256'] = hashlib.sha256(
                f.read()).hexdigest()
    with open(args.cell_out, 'w') as f:
        json.dump(res, f)


def run_cell(args, work, key, spec):
    out = osp.join(work, f'{key}.json')
    cmd = [sys.executable, osp.abspath(__file__), '--root', args.root,
           '--cell', json.dumps(spec), '--cell-out', out, '--dim',
           str(args.dim), '--hidden', str(args.hidden), '--seed',
           str(args.seed)]
    run(cmd, args.root, osp.join(work, f'{key}.log'))
    with open(out) as f:
        return json.load(f)


def table4_cells(args, work, keys):
    data_root = table4_data(args, work)
    results = {}
    for key in keys:
        tic = time.time()
        segment_file, steps = None, []
        if key.startswith('asmloc'):
            for i, config in enumerate(ASM_STEPS):
                wd = osp.join(work, key, f'step{i}')
                steps.append(run_cell(args, work, f'{key}_step{i}', dict(
                    config=config, data_root=data_root, work_dir=wd,
                    iters=args.asm_step_iters, segment_file=segment_file,
                    test=False)))
                segment_file = osp.join(wd, 'pseudo_segments.json')
        res = run_cell(args, work, key, dict(
            config=find_config(args.root, CELLS[key]), data_root=data_root,
            work_dir=osp.join(work, key), iters=args.iters,
            segment_file=segment_file))
        if steps:
            res['asm_steps'] = steps
        res['seconds'] = round(time.time() - tic, 1)
        results[key] = res
        print(key, res.get('metrics', {}).get('mAP_AVG'), flush=True)
    return results


def compare(before_file, after_file):
    """Print every field that differs; exit 1 if any does. Config paths
    (files move between layouts of configs/) are printed, not counted."""
    with open(before_file) as f:
        before = json.load(f)['results']
    with open(after_file) as f:
        after = json.load(f)['results']
    diffs, moved = [], []

    def walk(a, b, path):
        if isinstance(a, dict) and isinstance(b, dict):
            for k in sorted(set(a) | set(b)):
                if k == 'seconds':
                    continue
                if k == 'config':
                    if a.get(k) != b.get(k):
                        moved.append(f'{path}.{k}: {a.get(k)} -> {b.get(k)}')
                    continue
                walk(a.get(k), b.get(k), f'{path}.{k}')
        elif isinstance(a, list) and isinstance(b, list) and len(a) == len(
                b):
            for i, (x, y) in enumerate(zip(a, b)):
                walk(x, y, f'{path}[{i}]')
        elif a != b:
            diffs.append(f'{path}: {a!r} != {b!r}')

    walk(before, after, 'results')
    if moved:
        print('configs run (paths, not compared):\n' + '\n'.join(moved))
    print('\n'.join(diffs) if diffs else 'identical: metrics, state_dict '
          'digests and pseudo-segment files')
    return 1 if diffs else 0


def logged_values(log_file):
    """``{iteration: {key: printed value}}`` of MMEngine's training lines;
    timings, which vary, left out."""
    skip = {'lr', 'eta', 'time', 'data_time', 'memory'}
    rows = {}
    with open(log_file) as f:
        for line in f:
            m = re.search(r'Iter\(train\) \[\s*(\d+)/\d+\]\s+(.*)', line)
            if m:
                rows[int(m.group(1))] = {
                    k: v for k, v in re.findall(r'(\S+): (\S+)',
                                                m.group(2)) if k not in skip}
    return rows


def compare_train_logs(before_log, after_log):
    """Per iteration both logs reached, the keys both print and whether
    every printed value is equal."""
    before, after = logged_values(before_log), logged_values(after_log)
    out = {}
    for it in sorted(set(before) & set(after)):
        common = sorted(set(before[it]) & set(after[it]))
        out[it] = dict(equal=all(before[it][k] == after[it][k]
                                 for k in common),
                       values={k: after[it][k] for k in common})
    return out


def recorded_command(argv=None):
    """The command line, with this machine's paths shortened: the checkout
    to ``<checkout>``, other absolute paths to their last component."""
    argv = sys.argv[1:] if argv is None else argv
    out = []
    for i, a in enumerate(argv):
        if i and argv[i - 1] == '--root':
            a = '<checkout>'
        elif osp.isabs(a):
            a = osp.basename(a)
        out.append(a)
    return 'python benchmarks/check_identity.py ' + ' '.join(out)


def main():
    args = parse_args()
    args.root = osp.abspath(args.root)
    if args.compare:
        sys.exit(compare(*args.compare))
    if args.compare_train_logs:
        from mmtrpn.utils import atomic_write_json
        res = compare_train_logs(*args.compare_train_logs)
        atomic_write_json(args.out, dict(command=recorded_command(),
                                         iterations=res), indent=1)
        print({it: r['equal'] for it, r in res.items()})
        return
    if args.cell:
        cell_worker(args)
        return
    work = osp.abspath(args.work_dir)
    os.makedirs(work, exist_ok=True)
    parts = args.only or ['demo', *CELLS]
    tic = time.time()
    results = {}
    if 'demo' in parts:
        results['demo'] = demo(args, work)
        print('demo', results['demo']['metrics'], flush=True)
    keys = [k for k in parts if k in CELLS]
    if keys:
        results.update(table4_cells(args, work, keys))
    from mmtrpn.utils import atomic_write_json
    atomic_write_json(args.out, dict(
        command=recorded_command(),
        wall_s=round(time.time() - tic, 1), results=results), indent=1)


if __name__ == '__main__':
    main()
