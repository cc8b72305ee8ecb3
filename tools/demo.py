"""The README main job: synthetic data -> train -> evaluate -> mAP table.

Runs exactly the commands a user would run by hand (printed as it goes):
``tools/data/make_synthetic.py`` (only when the data or its held-out
split is absent), ``tools/train.py`` (validating on the held-out training
videos) and ``tools/test.py`` on the best checkpoint that validation kept
(the test split).
"""
import argparse
import os
import os.path as osp
import subprocess
import sys
import time

TOOLS = osp.dirname(osp.abspath(__file__))


def run(cmd):
    print('\n$ ' + ' '.join(cmd), flush=True)
    subprocess.run(cmd, check=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--config', default='configs/dtrp_loc/trpn_synthetic.py')
    parser.add_argument('--data-root', default='data/synthetic')
    parser.add_argument('--work-dir', default='work_dirs/trpn_synthetic')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()

    tic = time.time()
    python = sys.executable
    ann_file = osp.join(args.data_root, 'annotations.json')
    heldout = osp.join(args.data_root, 'heldout.txt')
    if not osp.exists(ann_file):
        run([python, osp.join(TOOLS, 'data', 'make_synthetic.py'),
             '--out', args.data_root, '--seed', str(args.seed)])
    elif not osp.exists(heldout):
        # Data generated before the held-out split existed: add the list
        # the generator now writes (same rule), keep the data.
        run([python, osp.join(TOOLS, 'data', 'make_heldout_split.py'),
             ann_file, '--subset', 'validation', '--per-class', '2',
             '--seed', '0', '--out', heldout])
    run([python, osp.join(TOOLS, 'train.py'), args.config, '--work-dir',
         args.work_dir, '--seed', str(args.seed), '--data-root',
         args.data_root])
    results = osp.join(args.work_dir, 'results.json')
    # The work dir as checkpoint: test.py takes its best_*.pth.
    run([python, osp.join(TOOLS, 'test.py'), args.config, args.work_dir,
         '--work-dir', args.work_dir, '--dump', results, '--data-root',
         args.data_root])
    print(f'\nDemo finished in {time.time() - tic:.0f} s. Detections: '
          f'{results}; logs and checkpoints: {args.work_dir}', flush=True)


if __name__ == '__main__':
    os.environ.setdefault('PYTHONUNBUFFERED', '1')
    main()
