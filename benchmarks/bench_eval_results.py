"""End-to-end ``tools/eval_results.py`` at ActivityNet-1.3 scale, against
the tools of earlier commits in the same run.

Writes a canonical annotation file (``--videos`` videos, ``--classes``
classes, 1-3 instances each) and, per size N, a results file of N
detections spread over the videos; then runs this checkout's tool and the
tool of each ``--old`` commit (``git archive``) as separate processes on
the same files, ``--repeats`` times, interleaved (one run of each tool per
round, the order rotated every round), so that load from other jobs falls
on all of them alike. Reports, per tool, the median over the rounds of wall
seconds, CPU seconds (user + system: the figure that a machine shared with
other jobs distorts least) and peak resident memory (``wait4``'s
``ru_maxrss``), every round's numbers, the ratios against this checkout,
and whether all printed the same metrics (the mAP must be exact).

    python benchmarks/bench_eval_results.py --sizes 1000000 4000000 \
        --old e9e962e 4216e9b 98bd89b --repeats 3 \
        --out-json docs/results/bench_eval_results.json

e9e962e is the project's first commit (the standard-library reader);
4216e9b reads with orjson and imports torch, 98bd89b is that reader
without torch (install orjson from requirements/optional.txt to run
either).
"""
import argparse
import json
import os
import os.path as osp
import statistics
import subprocess
import sys
import tempfile
import time

import msgspec
import numpy as np

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)
from mmtrpn.utils.fileio import atomic_write_json  # noqa: E402

NEW = 'new'


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--sizes', type=int, nargs='+',
                   default=[1000000, 4000000])
    p.add_argument('--videos', type=int, default=5000)
    p.add_argument('--classes', type=int, default=200)
    p.add_argument('--old', nargs='+',
                   default=['e9e962e', '4216e9b', '98bd89b'],
                   help='commits whose tools/eval_results.py run beside '
                   'this checkout\'s')
    p.add_argument('--repeats', type=int, default=3)
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
        f.write(msgspec.json.encode(dict(classes=classes, database=database)))


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
            f.write((b', ' if i else b'') + msgspec.json.encode(video) +
                    b': ' + msgspec.json.encode(dets))
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


def summary(runs):
    """Medians of the rounds' wall, CPU and peak memory."""
    return {key: round(statistics.median(r[key] for r in runs), 2)
            for key in ('wall_s', 'cpu_s', 'peak_rss_mb')}


def measure(tools, gt, pred, repeats):
    """``{tool: (runs, metrics)}``: each tool once per round, the order
    rotated every round."""
    runs = {name: [] for name in tools}
    metrics = {}
    names = list(tools)
    for rnd in range(repeats):
        for name in names[rnd % len(names):] + names[:rnd % len(names)]:
            usage, metrics[name] = run_tool(tools[name], gt, pred)
            runs[name].append(usage)
            print(json.dumps(dict(round=rnd, tool=name, **usage)),
                  flush=True)
    return runs, metrics


def main():
    args = parse_args()
    rng = np.random.default_rng(0)
    tmp = tempfile.TemporaryDirectory(prefix='bench_eval_')
    tools = {NEW: ROOT}
    for commit in args.old:
        repo = osp.join(tmp.name, commit)
        os.makedirs(repo)
        archive = subprocess.run(['git', 'archive', commit], cwd=ROOT,
                                 check=True, capture_output=True).stdout
        subprocess.run(['tar', '-x', '-C', repo], input=archive, check=True)
        tools[commit] = repo
    videos = [f'v_{i:07d}' for i in range(args.videos)]
    classes = [f'class_{i:03d}' for i in range(args.classes)]
    gt = osp.join(tmp.name, 'gt.json')
    write_ground_truth(gt, videos, classes, rng)
    rows = []
    for num in args.sizes:
        pred = osp.join(tmp.name, f'pred_{num}.json')
        write_results(pred, num, videos, classes, rng)
        runs, metrics = measure(tools, gt, pred, args.repeats)
        new = summary(runs[NEW])
        row = dict(predictions=num,
                   file_mb=round(osp.getsize(pred) / 2**20, 1),
                   median=dict(new=new), runs=runs)
        for commit in args.old:
            old = row['median'][commit] = summary(runs[commit])
            row[f'vs_{commit}'] = dict(
                speedup_wall=round(old['wall_s'] / new['wall_s'], 2),
                speedup_cpu=round(old['cpu_s'] / new['cpu_s'], 2),
                memory_ratio=round(old['peak_rss_mb'] / new['peak_rss_mb'],
                                   2))
        row['metrics_identical'] = all(m == metrics[NEW]
                                       for m in metrics.values())
        row['mAP_AVG'] = metrics[NEW]['mAP_AVG']
        print(json.dumps({k: v for k, v in row.items() if k != 'runs'}),
              flush=True)
        rows.append(row)
        os.remove(pred)
    load = os.getloadavg()  # other jobs on the machine stretch wall_s
    out = dict(
        command=' '.join(['python benchmarks/bench_eval_results.py'] +
                         sys.argv[1:]),
        new='this checkout', old_commits=args.old, repeats=args.repeats,
        videos=args.videos, classes=args.classes, cpu_count=os.cpu_count(),
        load_average_after=[round(x, 2) for x in load], results=rows)
    if args.out_json:
        atomic_write_json(args.out_json, out, indent=1)
    tmp.cleanup()


if __name__ == '__main__':
    main()
