"""End-to-end ``tools/eval_results.py`` at ActivityNet-1.3 scale, against
the tool of an earlier commit in the same run.

Writes a canonical annotation file (``--videos`` videos, ``--classes``
classes, 1-3 instances each) and, per size N, a results file of N
detections spread over the videos; then runs this checkout's tool and the
baseline commit's tool (``git archive`` of ``--baseline``) as separate
processes on the same files, one after the other. Reports wall seconds,
CPU seconds (user + system: the figure that a machine shared with other
jobs distorts least) and peak resident memory (``wait4``'s ``ru_maxrss``)
of each process, the ratios, and whether both printed the same metrics (the
mAP must be exact).

    python benchmarks/bench_eval_results.py --sizes 1000000 4000000 \
        --baseline e9e962e --out-json docs/results/bench_eval_results.json
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import tempfile
import time

import numpy as np
import orjson

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)
from mmtrpn.utils.fileio import atomic_write_json  # noqa: E402


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--sizes', type=int, nargs='+',
                   default=[1000000, 4000000])
    p.add_argument('--videos', type=int, default=5000)
    p.add_argument('--classes', type=int, default=200)
    p.add_argument('--baseline', default='e9e962e',
                   help='commit whose tools/eval_results.py is the baseline')
    p.add_argument('--skip-baseline-above', type=int, default=None,
                   help='run the baseline only for sizes up to this')
    p.add_argument('--out-json')
    return p.parse_args()


def write_ground_truth(path, videos, classes, rng):
    database = {}
    for v in videos:
        duration = float(rng.uniform(30, 300))
        anns = []
        for _ in range(int(rng.integers(1, 4))):
            start = float(rng.uniform(0, duration * 0.8))
            end = min(duration, start + float(rng.uniform(2, 60)))
            anns.append(dict(label=classes[int(rng.integers(len(classes)))],
                             segment=[start, end]))
        database[v] = dict(subset='validation', duration=duration,
                           annotations=anns)
    with open(path, 'wb') as f:
        f.write(orjson.dumps(dict(classes=classes, database=database)))


def write_results(path, num, videos, classes, rng):
    per_video = np.full(len(videos), num // len(videos))
    per_video[:num % len(videos)] += 1
    with open(path, 'wb') as f:
        f.write(b'{"version": "bench", "results": {')
        for i, (video, k) in enumerate(zip(videos, per_video)):
            start = rng.uniform(0, 250, k)
            length = rng.uniform(1, 60, k)
            labels = rng.integers(len(classes), size=k)
            scores = np.round(rng.random(k), 4)  # ties, as real files have
            dets = [dict(label=classes[c], segment=[s, s + d], score=x)
                    for c, s, d, x in zip(labels.tolist(), start.tolist(),
                                          length.tolist(), scores.tolist())]
            f.write((b', ' if i else b'') + orjson.dumps(video) + b': ' +
                    orjson.dumps(dets))
        f.write(b'}, "external_data": {}}')


def run_tool(repo, gt, pred):
    cmd = [sys.executable, osp.join(repo, 'tools', 'eval_results.py'),
           '--gt', gt, '--pred', pred, '--subset', 'validation', '--json']
    env = dict(os.environ, PYTHONPATH=repo, OMP_NUM_THREADS='1')
    out = tempfile.TemporaryFile()
    tic = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                            env=env, cwd=repo)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - tic
    out.seek(0)
    text = out.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f'{cmd} failed:\n{text[-3000:]}')
    metrics = json.loads(text[text.index('{'):])['metrics']
    return dict(wall_s=round(wall, 2),
                cpu_s=round(usage.ru_utime + usage.ru_stime, 2),
                peak_rss_mb=round(usage.ru_maxrss / 1024, 1)), metrics


def main():
    args = parse_args()
    rng = np.random.default_rng(0)
    tmp = tempfile.TemporaryDirectory(prefix='bench_eval_')
    base_repo = osp.join(tmp.name, 'baseline')
    os.makedirs(base_repo)
    archive = subprocess.run(['git', 'archive', args.baseline], cwd=ROOT,
                             check=True, capture_output=True).stdout
    subprocess.run(['tar', '-x', '-C', base_repo], input=archive, check=True)
    videos = [f'v_{i:07d}' for i in range(args.videos)]
    classes = [f'class_{i:03d}' for i in range(args.classes)]
    gt = osp.join(tmp.name, 'gt.json')
    write_ground_truth(gt, videos, classes, rng)
    rows = []
    for num in args.sizes:
        pred = osp.join(tmp.name, f'pred_{num}.json')
        write_results(pred, num, videos, classes, rng)
        row = dict(predictions=num,
                   file_mb=round(osp.getsize(pred) / 2**20, 1))
        row['new'], new_metrics = run_tool(ROOT, gt, pred)
        if args.skip_baseline_above is None or \
                num <= args.skip_baseline_above:
            row['baseline'], base_metrics = run_tool(base_repo, gt, pred)
            row['speedup_wall'] = round(row['baseline']['wall_s'] /
                                        row['new']['wall_s'], 2)
            row['speedup_cpu'] = round(row['baseline']['cpu_s'] /
                                       row['new']['cpu_s'], 2)
            row['memory_ratio'] = round(row['baseline']['peak_rss_mb'] /
                                        row['new']['peak_rss_mb'], 2)
            row['metrics_identical'] = new_metrics == base_metrics
        row['mAP_AVG'] = new_metrics['mAP_AVG']
        print(json.dumps(row), flush=True)
        rows.append(row)
        os.remove(pred)
    load = os.getloadavg()  # other jobs on the machine stretch wall_s
    out = dict(
        command=' '.join(['python benchmarks/bench_eval_results.py'] +
                         sys.argv[1:]),
        baseline_commit=args.baseline, videos=args.videos,
        classes=args.classes, cpu_count=os.cpu_count(),
        load_average_after=[round(x, 2) for x in load], results=rows)
    if args.out_json:
        atomic_write_json(args.out_json, out, indent=1)
    tmp.cleanup()


if __name__ == '__main__':
    main()
