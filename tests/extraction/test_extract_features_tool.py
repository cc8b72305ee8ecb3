"""tools/data/extract_features.py and tools/inference.py --video on
generated clips, with I3D checkpoints in the real layout (random values).

Frames are 32x24, resized to 24 and cropped to 16 so that TV-L1 and I3D
take well under a second per clip."""
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import moving_frames, random_checkpoint, write_video

from mmtrpn.apis.extraction import FeatureExtractor, extract_videos

ROOT = Path(__file__).resolve().parents[2]
SMALL = ['--short-side', '24', '--crop-size', '16', '--batch-size', '4']
PNG_MAGIC = b'\x89PNG\r\n\x1a\n'
# configs/dtrp_loc/ once the configs are grouped by method.
THUMOS_CONFIG = str(ROOT / 'configs' / 'dtrp_loc' / 'trpn_thumos.py')


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


extract_tool = _load('extract_features_tool',
                     ROOT / 'tools' / 'data' / 'extract_features.py')
inference_tool = _load('inference_tool_video', ROOT / 'tools' / 'inference.py')


@pytest.fixture(scope='module')
def ckpts(tmp_path_factory):
    base = tmp_path_factory.mktemp('ckpts')
    random_checkpoint(base / 'rgb.pt', 3, seed=1)
    random_checkpoint(base / 'flow.pt', 2, seed=2)
    return dict(rgb=str(base / 'rgb.pt'), flow=str(base / 'flow.pt'))


@pytest.fixture(scope='module')
def videos(tmp_path_factory):
    base = tmp_path_factory.mktemp('videos')
    folder = base / 'clips'
    folder.mkdir()
    # 1.2 s at 30 fps -> 30 frames at 25 fps -> 2 snippets (0.64 s each).
    write_video(folder / 'pan_a.avi', moving_frames(36, seed=1), 30)
    # 1 s at 25 fps, mp4 -> 25 frames -> 2 snippets.
    write_video(folder / 'pan_b.mp4', moving_frames(25, seed=2), 25, 'mp4v')
    return folder


def _ckpt_args(ckpts):
    return ['--rgb-ckpt', ckpts['rgb'], '--flow-ckpt', ckpts['flow']]


def test_folder_with_failures_resumable(videos, ckpts, tmp_path, capsys):
    broken = tmp_path / 'broken.mp4'
    broken.write_bytes(b'\x00not a video' * 100)
    empty = write_video(tmp_path / 'empty.avi', np.zeros((0, 24, 32, 3)),
                        25)
    missing = tmp_path / 'missing.mp4'
    out = tmp_path / 'data'
    args = [str(videos), str(broken), empty, str(missing), '--out',
            str(out), '--device', 'cpu'] + SMALL + _ckpt_args(ckpts)
    assert extract_tool.main(args) == 1
    err = capsys.readouterr().err
    assert '3 video(s) failed' in err
    for name in ('broken.mp4', 'empty.avi', 'missing.mp4'):
        assert name in err
    ann = json.loads((out / 'annotations.json').read_text())
    assert sorted(ann['database']) == ['pan_a', 'pan_b']
    assert ann['database']['pan_a'] == dict(
        subset='test', duration=1.2, annotations=[])
    assert ann['database']['pan_b']['duration'] == 1.0
    feats = {}
    for name in ('pan_a', 'pan_b'):
        rgb = np.load(out / 'features' / 'rgb' / f'{name}.npy')
        flow = np.load(out / 'features' / 'flow' / f'{name}.npy')
        assert rgb.shape == flow.shape == (2, 1024)
        assert rgb.dtype == np.float32 and np.isfinite(rgb).all()
        feats[name] = rgb
    # Different textures, different features.
    assert not np.allclose(feats['pan_a'], feats['pan_b'], atol=1e-3)
    assert not list(out.rglob('*.tmp'))

    # Rerun: finished videos are skipped, their files untouched.
    stamp = (out / 'features' / 'rgb' / 'pan_a.npy').stat().st_mtime_ns
    assert extract_tool.main([str(videos), '--out', str(out)] + SMALL +
                             _ckpt_args(ckpts)) == 0
    assert '0 extracted, 2 skipped' in capsys.readouterr().out
    assert (out / 'features' / 'rgb' /
            'pan_a.npy').stat().st_mtime_ns == stamp


def test_features_load_in_the_dataset(videos, ckpts, tmp_path):
    """The written root is a dataset once classes are filled in; T and the
    duration agree with snippet_duration = 16 / 25."""
    from mmtrpn.datasets import WSTALFeatureDataset
    from mmtrpn.datasets.transforms import LoadSnippetFeatures
    extractor = FeatureExtractor(ckpts['rgb'], ckpts['flow'], short_side=24,
                                 crop_size=16)
    out = tmp_path / 'data'
    done, skipped, failures = extract_videos(
        [str(videos / 'pan_a.avi')], str(out), extractor)
    assert done == ['pan_a'] and not skipped and not failures
    ann_path = out / 'annotations.json'
    ann = json.loads(ann_path.read_text())
    ann['classes'] = ['Panning']
    ann_path.write_text(json.dumps(ann))
    dataset = WSTALFeatureDataset(
        ann_file='annotations.json', data_root=str(out), subset='test',
        pipeline=[LoadSnippetFeatures(rgb_dim=1024, flow_dim=1024)])
    item = dataset[0]
    assert item['num_snippets'] == 2
    assert item['num_snippets'] == int(np.ceil(
        item['duration'] / dataset.snippet_duration))
    assert extractor.snippet_duration == dataset.snippet_duration


def test_ten_crop_and_no_background_thread_agree(videos, ckpts):
    extractor = FeatureExtractor(ckpts['rgb'], ckpts['flow'], short_side=24,
                                 crop_size=16, chunk_snippets=1)
    clip = str(videos / 'pan_b.mp4')
    threaded = extractor.extract(clip)
    inline = extractor.extract(clip, background=False)
    np.testing.assert_array_equal(threaded['rgb'], inline['rgb'])
    np.testing.assert_array_equal(threaded['flow'], inline['flow'])
    ten = FeatureExtractor(ckpts['rgb'], ckpts['flow'], short_side=24,
                           crop_size=16, ten_crop=True).extract(clip)
    assert ten['rgb'].shape == (2, 1024)
    assert not np.allclose(ten['rgb'], threaded['rgb'])


def test_wrong_stream_checkpoint_is_named(videos, ckpts, tmp_path):
    with pytest.raises(SystemExit, match=r'flow\.pt is for the flow stream'):
        extract_tool.main([str(videos), '--out', str(tmp_path / 'd'),
                           '--rgb-ckpt', ckpts['flow'], '--flow-ckpt',
                           ckpts['flow']] + SMALL)
    assert not (tmp_path / 'd').exists()


def test_inference_straight_from_video(videos, ckpts, tmp_path):
    """tools/inference.py CONFIG CKPT --video clip: extraction, then the
    localizer (fresh weights, THUMOS config), results JSON and figure."""
    from mmengine.config import Config
    from mmengine.runner import save_checkpoint

    from mmtrpn.registry import MODELS
    from mmtrpn.utils import register_all_modules
    config = THUMOS_CONFIG
    register_all_modules(init_default_scope=False)
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(config).model)
    ckpt = tmp_path / 'model.pth'
    classes = tuple(f'action_{i}' for i in range(model.num_classes))
    save_checkpoint({'state_dict': model.state_dict(),
                     'meta': {'dataset_meta': {'classes': classes}}},
                    str(ckpt))
    out, vis, feats = (tmp_path / 'res.json', tmp_path / 'vis',
                       tmp_path / 'feats')
    clip = str(videos / 'pan_a.avi')
    assert inference_tool.main([
        config, str(ckpt), '--video', clip, '--out', str(out), '--vis',
        str(vis), '--feature-dir', str(feats)] + SMALL +
        _ckpt_args(ckpts)) == 0
    data = json.loads(out.read_text())
    assert list(data['results']) == ['pan_a']
    for det in data['results']['pan_a']:
        assert det['label'] in classes
        # float32 segments, clipped to the 1.2 s duration
        assert 0 <= det['segment'][0] <= det['segment'][1] <= 1.2 + 1e-6
    assert (vis / 'pan_a.png').read_bytes().startswith(PNG_MAGIC)
    assert (feats / 'features' / 'rgb' / 'pan_a.npy').is_file()
    # Bad use is refused with a clear message.
    with pytest.raises(SystemExit):
        inference_tool.main([config, str(ckpt), '--video', clip, '--out',
                             str(out)])
    with pytest.raises(SystemExit, match='missing.mp4'):
        inference_tool.main([config, str(ckpt), '--video',
                             str(tmp_path / 'missing.mp4'), '--out',
                             str(tmp_path / 'r.json')] + SMALL +
                            _ckpt_args(ckpts))
    assert not (tmp_path / 'r.json').exists()


def test_inference_skips_a_corrupt_video(videos, ckpts, tmp_path, capsys):
    """A corrupt file among the clips is named and skipped; the others are
    localized and written; exit status 1. The features kept in
    --feature-dir are reused on a rerun."""
    from mmengine.config import Config
    from mmengine.runner import save_checkpoint

    from mmtrpn.registry import MODELS
    from mmtrpn.utils import register_all_modules
    config = THUMOS_CONFIG
    register_all_modules(init_default_scope=False)
    model = MODELS.build(Config.fromfile(config).model)
    ckpt = tmp_path / 'model.pth'
    classes = tuple(f'action_{i}' for i in range(model.num_classes))
    save_checkpoint({'state_dict': model.state_dict(),
                     'meta': {'dataset_meta': {'classes': classes}}},
                    str(ckpt))
    corrupt = tmp_path / 'corrupt.mp4'
    corrupt.write_bytes(b'\x00\x00\x00\x18ftypmp42' + b'\xff' * 500)
    out, feats = tmp_path / 'res.json', tmp_path / 'feats'
    argv = [config, str(ckpt), '--video', str(corrupt),
            str(videos / 'pan_a.avi'), '--out', str(out), '--feature-dir',
            str(feats), '--progress-interval', '0'] + SMALL + \
        _ckpt_args(ckpts) + ['--flow-backend', 'torch']
    assert inference_tool.main(argv) == 1
    err = capsys.readouterr().err
    assert f'skipped: {corrupt}' in err
    assert 'pan_a.avi: frames 30/30' in err   # progress inside the video
    assert list(json.loads(out.read_text())['results']) == ['pan_a']
    stamp = (feats / 'features' / 'flow' / 'pan_a.npy').stat().st_mtime_ns
    assert inference_tool.main(argv) == 1
    assert (feats / 'features' / 'flow' /
            'pan_a.npy').stat().st_mtime_ns == stamp


@pytest.mark.parametrize('given,missing', [('rgb', '--flow-ckpt'),
                                           ('flow', '--rgb-ckpt')])
def test_one_stream_missing_says_what_works(ckpts, videos, tmp_path, capsys,
                                            given, missing):
    with pytest.raises(SystemExit):
        extract_tool.main([str(videos), '--out', str(tmp_path / 'o'),
                           f'--{given}-ckpt', ckpts[given]])
    err = ' '.join(capsys.readouterr().err.split())
    assert f'{missing} missing' in err
    assert 'zero or random flow features, is not valid' in err
    assert 'flow_imagenet.pt' in err and 'convert_i3d_weights.py' in err
    assert not (tmp_path / 'o').exists()


def test_torch_flow_backend_features_close_to_opencv(videos, ckpts):
    """Same clip, same I3D: the two TV-L1 backends give features that
    differ far less than the features of two clips do."""
    clip = str(videos / 'pan_a.avi')
    feats = {
        backend: FeatureExtractor(ckpts['rgb'], ckpts['flow'],
                                  short_side=24, crop_size=16,
                                  flow_backend=backend).extract(clip)
        for backend in ('opencv', 'torch')
    }
    np.testing.assert_array_equal(feats['opencv']['rgb'],
                                  feats['torch']['rgb'])
    other = FeatureExtractor(ckpts['rgb'], ckpts['flow'], short_side=24,
                             crop_size=16).extract(str(videos / 'pan_b.mp4'))
    gap = np.abs(feats['opencv']['flow'] - feats['torch']['flow']).mean()
    spread = np.abs(feats['opencv']['flow'] - other['flow']).mean()
    assert gap < 0.1 * spread, (gap, spread)
