"""2-process data-parallel training and testing on CPU (gloo), as in CI.

One tiny run of ``tools/dist_train.sh``; its checkpoint is then scored by
``tools/test.py`` (1 process) and ``tools/dist_test.sh`` (2 processes),
which must agree exactly on every mAP@tIoU and on every detection.
"""
import json
import os
import os.path as osp

import numpy as np
import pytest

from mmtrpn.structures.annotations import read_video_list


@pytest.fixture(scope='module')
def dist_train(tools, tiny_data, tmp_path_factory):
    work_dir = str(tmp_path_factory.mktemp('dist_train'))
    proc = tools.run(
        ['tools/dist_train.sh', tools.CONFIG, '2', '--work-dir', work_dir,
         '--seed', '0', '--deterministic', '--cfg-options'] +
        tools.tiny_opts(tiny_data) +
        ['train_cfg.max_iters=20', 'train_cfg.val_interval=20'],
        env=tools.env(PORT=tools.free_port()))
    return work_dir, proc


@pytest.fixture(scope='module')
def single_and_dist_test(tools, tiny_data, dist_train, tmp_path_factory):
    work_dir, proc = dist_train
    tools.check(proc)
    ckpt = osp.join(work_dir, 'iter_20.pth')
    out = {}
    for name, cmd, env in [
        ('single', ['tools/test.py', tools.CONFIG, ckpt], None),
        ('dist', ['tools/dist_test.sh', tools.CONFIG, ckpt, '2'],
         tools.env(PORT=tools.free_port())),
    ]:
        test_dir = str(tmp_path_factory.mktemp(f'test_{name}'))
        dump = osp.join(test_dir, 'results.json')
        result = tools.check(tools.run(
            cmd + ['--work-dir', test_dir, '--dump', dump, '--cfg-options'] +
            tools.tiny_opts(tiny_data), env=env))
        out[name] = dict(proc=result, dump=dump,
                         metrics=tools.metrics_of_test_run(test_dir))
    return out


def test_dist_train_two_processes_finish(tools, dist_train, tiny_data):
    work_dir, proc = dist_train
    tools.check(proc)  # torchrun exits 0 only when both ranks did
    log = tools.output(proc)
    assert 'terminate called' not in log
    # every parameter gets a gradient each step, so DDP runs without
    # find_unused_parameters and torch has nothing to warn about
    assert 'find_unused_parameters=True was specified' not in log
    assert 'Expected to have finished reduction' not in log
    for it in (10, 20):
        assert osp.isfile(osp.join(work_dir, f'iter_{it}.pth'))
    run = tools.newest_run_dir(work_dir)
    with open(osp.join(run, osp.basename(run) + '.log')) as f:
        rank0_log = f.read()
    assert 'Saving checkpoint at 20 iterations' in rank0_log
    # Validation runs on the held-out training videos (an odd count here).
    heldout = read_video_list(osp.join(tiny_data, 'heldout.txt'))
    assert len(heldout) % 2 == 1
    assert f'Temporal mAP (%) on {len(heldout)} videos' in rank0_log
    per_rank = (len(heldout) + 1) // 2  # batch 1, the last slot padded
    assert f'Iter(val) [{per_rank}/{per_rank}]' in rank0_log
    final = tools.val_metrics(work_dir)
    assert len(final) == 1  # one validation, at the end
    assert 0 <= final[0]['wstal/mAP_AVG'] <= 100


def test_training_videos_are_shorter_than_the_sampling_length(tiny_data):
    # Every video is sampled up to 128 snippets in the runs of this folder.
    folder = osp.join(tiny_data, 'features', 'rgb')
    lengths = [np.load(osp.join(folder, f)).shape[0]
               for f in os.listdir(folder)]
    assert max(lengths) < 128


def test_dist_test_equals_single_process(single_and_dist_test):
    single = single_and_dist_test['single']
    dist = single_and_dist_test['dist']
    # Exact equality of every mAP@tIoU and average (floats from JSON).
    assert single['metrics'] == dist['metrics']
    assert len(single['metrics']) == 10  # 7 thresholds + 3 averages
    with open(single['dump'], 'rb') as a, open(dist['dump'], 'rb') as b:
        assert a.read() == b.read()


def test_odd_test_set_is_scored_once_per_video(single_and_dist_test,
                                               test_videos):
    assert len(test_videos) % 2 == 1
    dist = single_and_dist_test['dist']
    # 2 ranks x 7 = 14 slots for 13 videos: the padded one counts once.
    assert (f'Temporal mAP (%) on {len(test_videos)} videos'
            in dist['proc'].stdout + dist['proc'].stderr)
    with open(dist['dump']) as f:
        results = json.load(f)['results']
    assert sorted(results) == test_videos


FAKE_SRUN = '''#!{python}
"""Stand-in for srun: start --ntasks local copies with Slurm's variables."""
import os
import subprocess
import sys

args, ntasks, i = sys.argv[1:], 1, 0
while i < len(args) and args[i].startswith('-'):
    if args[i] in ('-p', '-n', '-N'):
        i += 2
        continue
    if args[i].startswith('--ntasks='):
        ntasks = int(args[i].split('=', 1)[1])
    i += 1
procs = [subprocess.Popen(args[i:], env=dict(
    os.environ, SLURM_PROCID=str(r), SLURM_NTASKS=str(ntasks),
    SLURM_LOCALID=str(r))) for r in range(ntasks)]
sys.exit(max(p.wait() for p in procs))
'''


def _fake_slurm_env(tools, tmp_path):
    # srun replaced by a local stand-in: checks the script and the
    # launcher='slurm' gloo set-up, not Slurm itself.
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    srun = bin_dir / 'srun'
    srun.write_text(FAKE_SRUN.format(python=tools.PYTHON))
    srun.chmod(0o755)
    return tools.env(GPUS=2, GPUS_PER_NODE=2, GRES='',
                     MASTER_PORT=tools.free_port(),
                     PATH=f'{bin_dir}{os.pathsep}{os.environ["PATH"]}')


def test_slurm_train_script_on_cpu(tools, tiny_data, tmp_path):
    env = _fake_slurm_env(tools, tmp_path)
    work_dir = tmp_path / 'w'
    tools.check(tools.run(
        ['tools/slurm_train.sh', 'cpu', 'job', tools.CONFIG,
         str(work_dir), '--cfg-options'] + tools.tiny_opts(tiny_data) +
        ['train_cfg.max_iters=10', 'train_cfg.val_interval=10'], env=env))
    assert (work_dir / 'iter_10.pth').is_file()
    assert len(tools.val_metrics(str(work_dir))) == 1


def test_slurm_test_script_on_cpu(tools, tiny_data, dist_train,
                                  single_and_dist_test, tmp_path):
    env = _fake_slurm_env(tools, tmp_path)
    work_dir = str(tmp_path / 'w')
    proc = tools.check(tools.run(
        ['tools/slurm_test.sh', 'cpu', 'job', tools.CONFIG,
         osp.join(dist_train[0], 'iter_20.pth'), '--work-dir', work_dir,
         '--cfg-options'] + tools.tiny_opts(tiny_data), env=env))
    assert 'Iter(test) [7/7]' in tools.output(proc)  # 2 ranks, 7 videos each
    assert (tools.metrics_of_test_run(work_dir) ==
            single_and_dist_test['single']['metrics'])
