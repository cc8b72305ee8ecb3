"""tools/inference.py and mmtrpn.apis on a tiny synthetic set.

One model (fresh weights, saved as a checkpoint) and one data set serve all
tests; the tool runs in-process except once (each interpreter start
imports torch, ~4 s)."""
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

ROOT = Path(__file__).resolve().parents[2]
CONFIG = str(ROOT / 'configs' / 'dtrp_loc' / 'trpn_synthetic.py')
PNG_MAGIC = b'\x89PNG\r\n\x1a\n'


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


inference_tool = _load('inference_tool', ROOT / 'tools' / 'inference.py')
eval_tool = _load('eval_results_tool', ROOT / 'tools' / 'eval_results.py')


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    from mmengine.config import Config
    from mmengine.runner import save_checkpoint

    from mmtrpn.datasets.synthetic import SyntheticConfig, generate_synthetic
    from mmtrpn.registry import MODELS
    from mmtrpn.utils import register_all_modules

    torch.set_num_threads(1)
    base = tmp_path_factory.mktemp('inference')
    root = base / 'data'
    generate_synthetic(
        str(root),
        SyntheticConfig(seed=3, num_train=2, num_test=3, min_duration=20,
                        max_duration=40))
    register_all_modules(init_default_scope=False)
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(CONFIG).model)
    ann = json.loads((root / 'annotations.json').read_text())
    ckpt = base / 'model.pth'
    save_checkpoint(
        {'state_dict': model.state_dict(),
         'meta': {'dataset_meta': {'classes': tuple(ann['classes'])}}},
        str(ckpt))
    tests = sorted(v for v, e in ann['database'].items()
                   if e['subset'] == 'test')
    return dict(base=base, root=root, ckpt=str(ckpt), ann=ann, tests=tests)


def _run_tool(*args):
    return inference_tool.main([str(a) for a in args])


def _check_results(path, videos):
    data = json.loads(Path(path).read_text())
    assert set(data) == {'version', 'results', 'external_data'}
    assert sorted(data['results']) == sorted(videos)
    for dets in data['results'].values():
        for d in dets:
            assert set(d) == {'label', 'segment', 'score'}
            assert d['segment'][0] <= d['segment'][1]
        scores = [d['score'] for d in dets]
        assert scores == sorted(scores, reverse=True)
    return data


def test_pair_of_files_scored(setup, tmp_path):
    root, video = setup['root'], setup['tests'][0]
    pair = (f'{root}/features/rgb/{video}.npy,'
            f'{root}/features/flow/{video}.npy')
    out = tmp_path / 'res.json'
    assert _run_tool(CONFIG, setup['ckpt'], pair, '--out', out) == 0
    data = _check_results(out, [video])
    assert data['results'][video], 'a fresh model still detects something'
    # The offline scorer accepts the file.
    assert eval_tool.main(['--gt', str(root / 'annotations.json'), '--pred',
                           str(out), '--subset', 'test']) == 0


def test_video_name_with_figure(setup, tmp_path):
    video = setup['tests'][1]
    out, vis = tmp_path / 'res.json', tmp_path / 'vis'
    assert _run_tool(CONFIG, setup['ckpt'], video, '--data-root',
                     setup['root'], '--out', out, '--vis', vis) == 0
    _check_results(out, [video])
    png = (vis / f'{video}.png').read_bytes()
    assert png.startswith(PNG_MAGIC) and len(png) > 5000


def test_work_dir_gives_its_best_checkpoint(setup, tmp_path, capsys):
    # as tools/test.py: the best checkpoint validation kept, said so
    work_dir = tmp_path / 'work'
    work_dir.mkdir()
    best = work_dir / 'best_wstal_mAP_AVG_iter_20.pth'
    shutil.copy(setup['ckpt'], best)
    shutil.copy(setup['ckpt'], work_dir / 'iter_30.pth')
    video, out = setup['tests'][0], tmp_path / 'res.json'
    assert _run_tool(CONFIG, work_dir, video, '--data-root', setup['root'],
                     '--out', out) == 0
    assert (f'Using {best} (the best checkpoint validation kept)'
            in capsys.readouterr().out)
    _check_results(out, [video])


def test_data_root_folder_subset_and_scoring(setup, tmp_path, capsys):
    out = tmp_path / 'res.json'
    assert _run_tool(CONFIG, setup['ckpt'], setup['root'], '--subset',
                     'test', '--out', out) == 0
    _check_results(out, setup['tests'])
    capsys.readouterr()
    assert eval_tool.main(['--gt', str(setup['root'] / 'annotations.json'),
                           '--pred', str(out), '--subset', 'test',
                           '--json']) == 0
    scored = json.loads(capsys.readouterr().out)
    assert 0.0 <= scored['metrics']['mAP_AVG'] <= 100.0
    assert scored['num_videos'] == len(setup['tests'])
    assert scored['num_predictions'] > 0


def test_rgb_flow_folder_without_annotations(setup, tmp_path):
    folder = tmp_path / 'feats'
    for m in ('rgb', 'flow'):
        (folder / m).mkdir(parents=True)
        for v in setup['tests'][:2]:
            shutil.copy(setup['root'] / 'features' / m / f'{v}.npy',
                        folder / m / f'{v}.npy')
    out = tmp_path / 'res.json'
    assert _run_tool(CONFIG, setup['ckpt'], folder, '--out', out, '--vis',
                     tmp_path / 'vis') == 0
    _check_results(out, setup['tests'][:2])
    assert len(list((tmp_path / 'vis').glob('*.png'))) == 2


def test_api_arrays_match_files(setup):
    from mmtrpn.apis import inference_localizer, init_localizer
    model = init_localizer(CONFIG, setup['ckpt'])
    assert model.dataset_meta['classes'] == list(setup['ann']['classes'])
    root, video = setup['root'], setup['tests'][0]
    files = (str(root / 'features/rgb' / f'{video}.npy'),
             str(root / 'features/flow' / f'{video}.npy'))
    by_file = inference_localizer(model, files)
    by_array = inference_localizer(
        model, tuple(np.load(f) for f in files), video_name=video)
    by_name = inference_localizer(
        model, video, data_root=str(root),
        ann_file=str(root / 'annotations.json'))
    assert by_file['video_name'] == by_array['video_name'] == video
    assert by_file['detections'] == by_array['detections'] \
        == by_name['detections']
    sample = by_name['data_sample']
    # Ground truth and the annotated duration travel with the sample.
    assert sample.metainfo['duration'] == setup['ann']['database'][video][
        'duration']
    assert 'gt_segments' in sample and 'proposal_mask' in sample


def test_clear_errors(setup, tmp_path):
    root = setup['root']
    with pytest.raises(SystemExit, match='no_such_video'):
        _run_tool(CONFIG, setup['ckpt'], 'no_such_video', '--data-root',
                  root, '--out', tmp_path / 'r.json')
    with pytest.raises(SystemExit, match='RGB.npy,FLOW.npy'):
        _run_tool(CONFIG, setup['ckpt'], root / 'features/rgb/x.npy',
                  '--out', tmp_path / 'r.json')
    with pytest.raises(SystemExit, match='missing.npy'):
        _run_tool(CONFIG, setup['ckpt'], f'{root}/missing.npy,{root}/b.npy',
                  '--out', tmp_path / 'r.json')
    # Wrong width: names the video and the expected width.
    narrow = tmp_path / 'narrow.npy'
    np.save(narrow, np.zeros((10, 8), np.float32))
    video = setup['tests'][0]
    with pytest.raises(SystemExit, match=r'narrow.*width 8'):
        _run_tool(CONFIG, setup['ckpt'],
                  f'{narrow},{root}/features/flow/{video}.npy', '--out',
                  tmp_path / 'r.json')
    # A folder video without flow features is named.
    folder = tmp_path / 'feats'
    (folder / 'rgb').mkdir(parents=True)
    (folder / 'flow').mkdir()
    shutil.copy(root / 'features/rgb' / f'{video}.npy',
                folder / 'rgb' / 'lonely.npy')
    with pytest.raises(SystemExit, match='lonely'):
        _run_tool(CONFIG, setup['ckpt'], folder, '--out', tmp_path / 'r.json')
    assert not (tmp_path / 'r.json').exists()


def test_script_runs_standalone(setup, tmp_path):
    out = tmp_path / 'res.json'
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = subprocess.run(
        [sys.executable, str(ROOT / 'tools' / 'inference.py'), CONFIG,
         setup['ckpt'], setup['tests'][2], '--data-root',
         str(setup['root']), '--out', str(out)],
        capture_output=True, text=True, timeout=120, env=env, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'written to' in proc.stdout
    _check_results(out, [setup['tests'][2]])


def test_class_count_mismatch_is_refused(setup, tmp_path):
    from mmengine.config import Config
    from mmengine.runner import save_checkpoint

    from mmtrpn.apis import init_localizer
    from mmtrpn.registry import MODELS
    from mmtrpn.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    # A checkpoint whose classes say 3, for a model of the config's 10.
    model = MODELS.build(Config.fromfile(CONFIG).model)
    ckpt = tmp_path / 'three.pth'
    save_checkpoint({'state_dict': model.state_dict(),
                     'meta': {'dataset_meta': {'classes': ('a', 'b', 'c')}}},
                    str(ckpt))
    with pytest.raises(ValueError, match=r'3 classes in checkpoint .*'
                       r'num_classes=10'):
        init_localizer(CONFIG, str(ckpt))
    # No class list anywhere: names are made up, nothing is refused.
    model = init_localizer(CONFIG, None, cfg_options={
        'test_dataloader.dataset.ann_file': str(tmp_path / 'absent.json')})
    assert model.dataset_meta['classes'][:2] == ['class_0', 'class_1']
def _edited_checkpoint(setup, tmp_path, edit):
    ckpt = torch.load(setup['ckpt'], map_location='cpu', weights_only=False)
    edit(ckpt['state_dict'])
    path = tmp_path / 'edited.pth'
    torch.save(ckpt, str(path))
    return str(path)


def test_checkpoint_missing_classifier_is_refused(setup, tmp_path):
    # Loaded non-strictly, the classifier kept its random init and scored.
    def drop_cls(state):
        for key in [k for k in state if k.startswith('cls_head.')]:
            del state[key]
    path = _edited_checkpoint(setup, tmp_path, drop_cls)
    from mmtrpn.apis import init_localizer
    with pytest.raises(ValueError) as info:
        init_localizer(CONFIG, path)
    message = str(info.value)
    assert path in message and 'missing' in message
    assert 'cls_head.' in message
    with pytest.raises(SystemExit, match='cls_head'):
        _run_tool(CONFIG, path, setup['tests'][0], '--data-root',
                  setup['root'], '--out', tmp_path / 'r.json')
    assert not (tmp_path / 'r.json').exists()


def test_checkpoint_of_other_class_count_is_refused(setup, tmp_path):
    from mmtrpn.apis import init_localizer
    num_classes = len(setup['ann']['classes'])
    with pytest.raises(ValueError, match=r'does not match the model'):
        init_localizer(CONFIG, setup['ckpt'],
                       cfg_options={'model.num_classes': num_classes + 1})


def test_checkpoint_with_nan_weights_is_refused(setup, tmp_path):
    def poison(state):
        key = next(k for k, v in state.items() if v.is_floating_point())
        state[key].view(-1)[0] = float('nan')
    path = _edited_checkpoint(setup, tmp_path, poison)
    from mmtrpn.apis import init_localizer
    with pytest.raises(ValueError, match=r'not finite') as info:
        init_localizer(CONFIG, path)
    assert path in str(info.value)


@pytest.mark.parametrize('keep', [0, 0.5])
def test_truncated_checkpoint_names_the_file(setup, tmp_path, keep):
    data = Path(setup['ckpt']).read_bytes()
    path = tmp_path / 'cut.pth'
    path.write_bytes(data[:int(len(data) * keep)])
    from mmtrpn.apis import init_localizer
    with pytest.raises(ValueError) as info:
        init_localizer(CONFIG, str(path))
    message = str(info.value)
    assert str(path) in message
    rest = message.replace(str(path), '')  # the tmp path says "truncated"
    assert 'truncated' in rest or 'empty' in rest


@pytest.mark.parametrize('keep', [0, 40, 0.5])
def test_truncated_feature_file_names_the_file(setup, tmp_path, keep):
    video = setup['tests'][0]
    rgb = setup['root'] / 'features/rgb' / f'{video}.npy'
    data = rgb.read_bytes()
    cut = tmp_path / 'cut.npy'
    cut.write_bytes(data[:keep if isinstance(keep, int) else
                         int(len(data) * keep)])
    with pytest.raises(SystemExit) as info:
        _run_tool(CONFIG, setup['ckpt'],
                  f'{cut},{setup["root"]}/features/flow/{video}.npy',
                  '--out', tmp_path / 'r.json')
    message = str(info.value)
    assert str(cut) in message
    rest = message.replace(str(cut), '')  # the tmp path says "truncated"
    assert 'truncated' in rest or 'empty' in rest


def test_file_that_is_not_npy_is_named_as_such(setup, tmp_path):
    video = setup['tests'][0]
    text = tmp_path / 'notes.npy'
    text.write_text('hello, this is not an array' * 4)
    with pytest.raises(SystemExit, match=r'notes\.npy.*not a \.npy file'):
        _run_tool(CONFIG, setup['ckpt'],
                  f'{text},{setup["root"]}/features/flow/{video}.npy',
                  '--out', tmp_path / 'r.json')
