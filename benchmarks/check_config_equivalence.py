"""Show that reorganised configs still describe the same runs.

For every config of an older checkout (``--old-root``), loads it there and
its successor here (moved or deduplicated: :data:`RENAMED`), and compares
what MMEngine's Runner reads: model, datasets with their pipelines,
evaluators, schedule, optimiser, hooks and runtime. Top-level helper
variables (``num_classes``, ``train_pipeline``, ...) are not read by the
Runner and may come and go. Each ``model`` is compared after filling in
the defaults of every registered class it names (the code's keyword
defaults), so a setting written out in a config that the code used to
supply is not a difference. Paths under either checkout compare as
relative to it. Exits 1 and prints the first differences if any config
changed.

    python benchmarks/check_config_equivalence.py --old-root OLD_CHECKOUT

The old side is loaded in a subprocess with ``PYTHONPATH=OLD_CHECKOUT``,
so its own ``mmtrpn`` resolves its configs.
"""
import argparse
import inspect
import json
import os
import os.path as osp
import subprocess
import sys

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

# old path -> new path, under configs/ (every other config kept its path)
RENAMED = {
    # the paper read literally; trpn_anet.py now adds the selected deviations
    'trpn_anet.py': 'dtrp_loc/trpn_anet_paper.py',
    'trpn_anet_fgnorm.py': 'dtrp_loc/trpn_anet_fgnorm.py',
    'trpn_anet_select-on-test.py': 'dtrp_loc/trpn_anet_select-on-test.py',
    # the paper read literally; trpn_synthetic.py now adds the selected deviations
    'trpn_synthetic.py': 'dtrp_loc/trpn_synthetic_paper.py',
    'trpn_synthetic_fgnorm.py': 'dtrp_loc/trpn_synthetic_fgnorm.py',
    # the paper read literally; trpn_thumos.py now adds the selected deviations
    'trpn_thumos.py': 'dtrp_loc/trpn_thumos_paper.py',
    'trpn_thumos_fgnorm.py': 'dtrp_loc/trpn_thumos_fgnorm.py',
    'trpn_thumos_select-on-test.py':
    'dtrp_loc/trpn_thumos_select-on-test.py',
    # exact copies of another config, deleted
    'ablations/t4_dtrploc_none.py': 'ablations/t3_02_dmf.py',
    'ablations/t4_dtrploc_trpn.py': 'ablations/t3_06_dmf-trpn-acol.py',
    'ablations/t3_10_dmf-trpn-acol-plg.py': 'dtrp_loc/trpn_thumos_paper.py',
    'ablations/t4_dtrploc_trpn-pl.py': 'dtrp_loc/trpn_thumos_paper.py',
    'ablations/t3_10_dmf-trpn-acol-plg_fgnorm.py':
    'dtrp_loc/trpn_thumos_fgnorm.py',
    'ablations/t4_dtrploc_trpn-pl_fgnorm.py':
    'dtrp_loc/trpn_thumos_fgnorm.py',
    'ablations/t4_asmloc_none.py': 'asm_loc/asm_loc_thumos.py',
    'ablations/t4_co2net_none.py': 'co2net/co2net_thumos.py',
}

# what mmengine.runner.Runner.from_cfg reads
RUNNER_KEYS = (
    'model', 'train_dataloader', 'val_dataloader', 'test_dataloader',
    'train_cfg', 'val_cfg', 'test_cfg', 'auto_scale_lr', 'optim_wrapper',
    'param_scheduler', 'val_evaluator', 'test_evaluator', 'default_hooks',
    'custom_hooks', 'data_preprocessor', 'load_from', 'resume', 'launcher',
    'env_cfg', 'log_processor', 'log_level', 'visualizer', 'default_scope',
    'randomness', 'experiment_name', 'model_wrapper_cfg', 'work_dir')

# dict arguments whose code default is None and whose keys the class merges
# over these values (TemporalProposalStage.__init__)
MERGED_DEFAULTS = {
    'TemporalProposalStage': dict(loss_weights=dict(kl=0.8, ml=1.0,
                                                     norm=0.0)),
}


def list_configs(root):
    base = osp.join(root, 'configs')
    out = []
    for folder, _, files in os.walk(base):
        if '_base_' in osp.relpath(folder, base).split(os.sep):
            continue
        out += [osp.relpath(osp.join(folder, f), base) for f in files
                if f.endswith('.py')]
    return sorted(p.replace(os.sep, '/') for p in out)


def encode(value, root):
    """JSON with tuples kept apart from lists and checkout paths made
    relative to the checkout."""
    if isinstance(value, dict):
        return {k: encode(v, root) for k, v in value.items()}
    if isinstance(value, tuple):
        return {'__tuple__': [encode(v, root) for v in value]}
    if isinstance(value, list):
        return [encode(v, root) for v in value]
    if isinstance(value, str) and value.startswith(root + os.sep):
        return '<checkout>/' + osp.relpath(value, root)
    return value


def decode(value):
    if isinstance(value, dict):
        if set(value) == {'__tuple__'}:
            return tuple(decode(v) for v in value['__tuple__'])
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


def dump(root, out):
    """Every config of ``root`` resolved, written to ``out``."""
    from mmengine.config import Config

    from mmtrpn.utils import register_all_modules
    register_all_modules()
    root = osp.abspath(root)
    resolved = {}
    for rel in list_configs(root):
        cfg = Config.fromfile(osp.join(root, 'configs', rel))
        resolved[rel] = encode(cfg.to_dict(), root)
    with open(out, 'w') as f:
        json.dump(resolved, f)


def with_defaults(cfg):
    """``cfg`` with the keyword defaults of every registered model class
    it names filled in, recursively."""
    from mmtrpn.registry import MODELS
    if isinstance(cfg, list):
        return [with_defaults(v) for v in cfg]
    if not isinstance(cfg, dict):
        return cfg
    out = {k: with_defaults(v) for k, v in cfg.items()}
    cls = MODELS.get(cfg['type']) if isinstance(cfg.get('type'), str) \
        else None
    if cls is not None:
        for name, param in inspect.signature(cls).parameters.items():
            if param.default is not inspect.Parameter.empty and \
                    name not in out:
                out[name] = with_defaults(param.default)
        for name, default in MERGED_DEFAULTS.get(cfg['type'], {}).items():
            out[name] = dict(default, **(out.get(name) or {}))
    return out


# Options added since the old checkout, with the value that reproduces its
# behaviour: absent on the old side and at this value on the new is no change.
ADDED_OPTIONS = {
    'model.proposal_stage.classifier_grad': 'full',
    'model.proposal_stage.classifier_grad_scale': 0.5,
    'model.proposal_stage.classifier_grad_ramp_iters': 300,
    'model.proposal_stage.classifier_grad_coverage': (0.6, 0.8),
}
# Configs whose run changed on purpose (docs/method.md: the headline configs
# became the held-out-selected default; the literature-protocol variants
# follow them).
CHANGED_BY_DESIGN = {
    'trpn_thumos_select-on-test.py', 'trpn_anet_select-on-test.py',
}


def differences(old, new, path=''):
    """Paths (dotted) where ``old`` and ``new`` differ."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for key in sorted(set(old) | set(new), key=str):
            sub = f'{path}.{key}' if path else str(key)
            if key not in old and ADDED_OPTIONS.get(sub, object()) == \
                    new[key]:
                continue
            if key not in old or key not in new:
                out.append(f'{sub}: only in {"new" if key in new else "old"}')
            else:
                out += differences(old[key], new[key], sub)
        return out
    if isinstance(old, (list, tuple)) and isinstance(new, (list, tuple)) \
            and type(old) is type(new) and len(old) == len(new):
        return [d for i, (a, b) in enumerate(zip(old, new))
                for d in differences(a, b, f'{path}[{i}]')]
    return [] if old == new else [f'{path}: {old!r} -> {new!r}']


def compare(old_configs, new_configs):
    """{old config: [differences]} for every config of the old checkout."""
    report = {}
    for rel, old in old_configs.items():
        if rel in CHANGED_BY_DESIGN:
            continue
        new_rel = RENAMED.get(rel, rel)
        if new_rel not in new_configs:
            report[rel] = [f'no successor ({new_rel} missing)']
            continue
        new = new_configs[new_rel]
        diffs = []
        for key in RUNNER_KEYS:
            a, b = old.get(key), new.get(key)
            if key == 'model':
                a, b = with_defaults(a), with_defaults(b)
            diffs += differences(a, b, key)
        report[rel] = diffs
    return report


def load_side(root, tmp):
    out = osp.join(tmp, f'configs_{abs(hash(root))}.json')
    env = dict(os.environ, PYTHONPATH=root)
    subprocess.run([sys.executable, osp.abspath(__file__), '--dump', root,
                    out], env=env, check=True, cwd=root)
    with open(out) as f:
        return decode(json.load(f))


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--old-root', help='checkout to compare against')
    p.add_argument('--new-root', default=ROOT)
    p.add_argument('--dump', nargs=2, metavar=('ROOT', 'OUT'),
                   help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.dump:
        dump(*args.dump)
        return
    import tempfile

    from mmtrpn.utils import register_all_modules
    register_all_modules()
    with tempfile.TemporaryDirectory() as tmp:
        old = load_side(osp.abspath(args.old_root), tmp)
        new = load_side(osp.abspath(args.new_root), tmp)
    report = compare(old, new)
    changed = {k: v for k, v in report.items() if v}
    for rel in sorted(report):
        mark = 'DIFFERS' if report[rel] else 'same'
        print(f'{mark:8s}{rel} -> {RENAMED.get(rel, rel)}')
        for line in report[rel][:10]:
            print(f'        {line}')
    print(f'{len(report) - len(changed)} of {len(report)} configs resolve '
          'to the same Runner settings')
    sys.exit(1 if changed else 0)


if __name__ == '__main__':
    main()
