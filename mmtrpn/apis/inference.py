"""Run a trained localizer on feature files, outside the Runner.

Typical use::

    from mmtrpn.apis import init_localizer, inference_localizer
    model = init_localizer('configs/trpn_synthetic.py', 'iter_400.pth')
    res = inference_localizer(model, ('v.rgb.npy', 'v.flow.npy'))
    res['detections']   # [{'label', 'segment': [s, e], 'score'}, ...]

``tools/inference.py`` is a command-line front end over the same calls.
"""
import copy
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.config import Config

from mmtrpn.version import __version__

DEFAULT_PREFIX = dict(rgb='features/rgb', flow='features/flow')
_LOADER = 'LoadSnippetFeatures'


def _test_dataset_cfg(cfg) -> dict:
    loader = cfg.get('test_dataloader') or cfg.get('val_dataloader') or {}
    return loader.get('dataset', {}) if isinstance(loader, dict) else {}


def init_localizer(config: Union[str, Config],
                   checkpoint: Optional[str] = None,
                   device: str = 'cpu',
                   cfg_options: Optional[dict] = None,
                   trust_checkpoint: bool = False) -> torch.nn.Module:
    """Build the model of ``config`` and load ``checkpoint`` into it.

    Args:
        config: config file or object.
        checkpoint: checkpoint file; None keeps the initial weights.
        device: e.g. ``'cpu'`` or ``'cuda:0'``.
        cfg_options: overrides merged into the config.
        trust_checkpoint: allow full unpickling (files you trust only); by
            default only MMEngine's allow-listed objects are unpickled.

    Returns:
        The model in eval mode, with ``model.cfg`` and
        ``model.dataset_meta`` (``classes`` from the checkpoint, else from the
        config's test annotations when readable, else ``class_<i>``).
    """
    import mmtrpn  # noqa: F401  (compatibility fixes)
    from mmengine.runner import load_checkpoint

    from mmtrpn.engine.hooks.checkpoint_check_hook import \
        check_checkpoint_state
    from mmtrpn.registry import MODELS
    from mmtrpn.utils import register_all_modules
    from mmtrpn.utils.compat import TRUST_CHECKPOINTS_ENV
    from mmtrpn.utils.config_checks import check_config_values

    if isinstance(config, (str, os.PathLike)):
        config = Config.fromfile(os.fspath(config))
    elif not isinstance(config, Config):
        raise TypeError(f'config must be a path or Config, got {type(config)}')
    cfg = copy.deepcopy(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    register_all_modules(init_default_scope=False)
    check_config_values(cfg)
    model = MODELS.build(cfg.model)

    meta = {}
    if checkpoint is not None:
        old = os.environ.get(TRUST_CHECKPOINTS_ENV)
        if trust_checkpoint:
            os.environ[TRUST_CHECKPOINTS_ENV] = '1'
        try:
            ckpt = load_checkpoint(model, checkpoint, map_location='cpu')
            check_checkpoint_state(model, ckpt, checkpoint)
        finally:
            if trust_checkpoint:
                if old is None:
                    os.environ.pop(TRUST_CHECKPOINTS_ENV, None)
                else:
                    os.environ[TRUST_CHECKPOINTS_ENV] = old
        meta = (ckpt.get('meta') or {}) if isinstance(ckpt, dict) else {}
    classes = (meta.get('dataset_meta') or {}).get('classes')
    if not classes:
        classes = _config_classes(cfg)
    if not classes or len(classes) != model.num_classes:
        classes = [f'class_{i}' for i in range(model.num_classes)]
    model.cfg = cfg
    model.dataset_meta = dict(classes=list(classes))
    model.to(device)
    model.eval()
    return model


def _config_classes(cfg) -> Optional[List[str]]:
    ds = _test_dataset_cfg(cfg)
    if ds.get('classes'):
        return list(ds['classes'])
    ann = ds.get('ann_file')
    if not ann:
        return None
    path = ann if osp.isabs(ann) else osp.join(ds.get('data_root', ''), ann)
    try:
        return load_annotations(path).get('classes')
    except (OSError, ValueError):
        return None


_ANN_CACHE: Dict[tuple, dict] = {}


def load_annotations(path: str) -> dict:
    """The annotation JSON (``classes``, ``database``), cached per file
    version so that many videos read it once."""
    from mmtrpn.datasets.io import load_json
    st = os.stat(path)
    key = (osp.abspath(path), st.st_mtime_ns, st.st_size)
    if key not in _ANN_CACHE:
        data = load_json(path)
        if not isinstance(data, dict) or not isinstance(
                data.get('database'), dict):
            raise ValueError(f'{path}: missing "database" object')
        _ANN_CACHE.clear()
        _ANN_CACHE[key] = data
    return _ANN_CACHE[key]


def _build_pipeline(model, skip_loading: bool):
    from mmtrpn.registry import TRANSFORMS
    ds = _test_dataset_cfg(getattr(model, 'cfg', None) or Config())
    steps = ds.get('pipeline') or [
        dict(type=_LOADER), dict(type='PackWSTALInputs')
    ]
    out = []
    for step in steps:
        if skip_loading and step.get('type') == _LOADER:
            continue
        out.append(TRANSFORMS.build(copy.deepcopy(step)))
    return out


def _check_array(arr, video: str, modality: str) -> np.ndarray:
    arr = np.asarray(arr)
    if arr.ndim != 2 or arr.shape[0] == 0:
        raise ValueError(f'{modality} features of video {video} must be a '
                         f'non-empty 2-D (T, D) array, got shape {arr.shape}')
    arr = arr.astype(np.float32, copy=False)
    if not np.isfinite(arr).all():
        raise ValueError(f'{modality} features of video {video} contain '
                         'NaN or Inf')
    return arr


def _ground_truth(info: dict, annotations: dict, classes: Sequence[str],
                  where: str) -> None:
    """Add gt fields of ``info['video_name']`` when the file knows it."""
    entry = annotations['database'].get(info['video_name'])
    if not isinstance(entry, dict):
        return
    index = {c: i for i, c in enumerate(classes)}
    segs, labels = [], []
    for ann in entry.get('annotations', []):
        if ann.get('label') not in index:
            raise ValueError(f'{where}: video {info["video_name"]} has class '
                             f'{ann.get("label")!r}, unknown to the model '
                             f'(classes: {list(classes)})')
        segs.append([float(v) for v in ann['segment']])
        labels.append(index[ann['label']])
    multi_hot = np.zeros(len(classes), np.float32)
    multi_hot[labels] = 1.0
    info.update(
        gt_segments=np.asarray(segs, np.float32).reshape(-1, 2),
        gt_labels=np.asarray(labels, np.int64),
        label=multi_hot)
    if entry.get('duration'):
        info['duration'] = float(entry['duration'])


def inference_localizer(model,
                        video: Union[str, Tuple, List, dict],
                        data_root: Optional[str] = None,
                        ann_file: Optional[str] = None,
                        video_name: Optional[str] = None) -> dict:
    """Localize actions in one video.

    Args:
        model: from :func:`init_localizer`.
        video: ``(rgb, flow)`` feature files or (T, D) arrays; or the name of
            a video in ``data_root`` (``<data_root>/features/{rgb,flow}/
            <name>.npy``, or the config's ``data_prefix``); or a data_info
            dict with ``video_name``, ``rgb_path``, ``flow_path``.
        data_root: dataset root for a video name; defaults to the config's.
        ann_file: annotation JSON; when it lists the video, its ground truth
            and duration go into the data sample (for figures and scoring).
        video_name: name of an ``(rgb, flow)`` pair; defaults to the RGB file
            stem (or ``video``).

    Returns:
        dict: ``video_name``, ``detections`` (ActivityNet-style list of
        ``{'label', 'segment': [s, e], 'score'}``, best first) and
        ``data_sample`` (the model output with curves and proposals).
    """
    cfg = getattr(model, 'cfg', None) or Config()
    ds_cfg = _test_dataset_cfg(cfg)
    classes = list(model.dataset_meta['classes'])
    snippet = float(ds_cfg.get('snippet_duration', 16 / 25))
    arrays = None
    if isinstance(video, dict):
        info = dict(video)
    elif isinstance(video, (tuple, list)):
        if len(video) != 2:
            raise ValueError('video must be a pair (rgb, flow), got '
                             f'{len(video)} items')
        rgb, flow = video
        if isinstance(rgb, (str, os.PathLike)):
            name = video_name or osp.splitext(osp.basename(rgb))[0]
            info = dict(video_name=name, rgb_path=os.fspath(rgb),
                        flow_path=os.fspath(flow))
        else:
            name = video_name or 'video'
            arrays = (_check_array(rgb, name, 'rgb'),
                      _check_array(flow, name, 'flow'))
            if arrays[0].shape[0] != arrays[1].shape[0]:
                raise ValueError(
                    f'RGB and flow lengths differ for video {name}: '
                    f'{arrays[0].shape[0]} vs {arrays[1].shape[0]}')
            info = dict(video_name=name, rgb=arrays[0], flow=arrays[1],
                        num_snippets=int(arrays[0].shape[0]))
    elif isinstance(video, str):
        root = data_root if data_root is not None else ds_cfg.get(
            'data_root', '')
        prefix = dict(DEFAULT_PREFIX, **(ds_cfg.get('data_prefix') or {}))
        info = dict(
            video_name=video,
            rgb_path=osp.join(root, prefix['rgb'], video + '.npy'),
            flow_path=osp.join(root, prefix['flow'], video + '.npy'))
        for key in ('rgb', 'flow'):
            if not osp.isfile(info[f'{key}_path']):
                raise FileNotFoundError(
                    f'video {video!r}: no {key} features at '
                    f'{info[key + "_path"]} (data root {root!r})')
    else:
        raise TypeError('video must be (rgb, flow), a video name or a '
                        f'data_info dict, got {type(video)}')
    info.setdefault('snippet_duration', snippet)
    if ann_file:
        _ground_truth(info, load_annotations(ann_file), classes, ann_file)

    data = info
    for transform in _build_pipeline(model, skip_loading=arrays is not None):
        if 'inputs' not in data and 'num_snippets' in data \
                and 'duration' not in data:
            data['duration'] = data['num_snippets'] * data['snippet_duration']
        data = transform(data)
        if data is None:
            raise RuntimeError(f'the test pipeline dropped video '
                               f'{info["video_name"]}')
    inputs, sample = data['inputs'], data['data_samples']
    dims = tuple(sample.metainfo.get('feature_dims', ()))
    if dims != tuple(model.feature_dims):
        files = ', '.join(info[k] for k in ('rgb_path', 'flow_path')
                          if k in info)
        raise ValueError(
            f'video {info["video_name"]}: feature widths (rgb, flow) = '
            f'{dims}, but the model expects {tuple(model.feature_dims)}'
            + (f' ({files})' if files else ''))
    with torch.no_grad():
        out = model.test_step(dict(inputs=[inputs], data_samples=[sample]))[0]
    return dict(
        video_name=info['video_name'],
        detections=detections_from_sample(out, classes),
        data_sample=out)


def detections_from_sample(sample, classes: Sequence[str]) -> List[dict]:
    """ActivityNet-style detections of one predicted data sample."""
    segs = sample.pred_segments.detach().cpu().numpy().reshape(-1, 2)
    labels = sample.pred_labels.detach().cpu().numpy().reshape(-1)
    scores = sample.pred_scores.detach().cpu().numpy().reshape(-1)
    order = np.argsort(-scores, kind='stable')
    return [
        dict(label=str(classes[int(labels[i])]),
             segment=[_short(segs[i, 0]), _short(segs[i, 1])],
             score=_short(scores[i])) for i in order
    ]


def _short(value) -> float:
    # Shortest decimal that round-trips the float32 (45.44, not
    # 45.439998626708984): same value, smaller JSON.
    return float(str(np.float32(value)))


def results_payload(results: Dict[str, List[dict]]) -> dict:
    """The ActivityNet results-file object for ``{video: detections}``."""
    return dict(
        version=f'mmtrpn {__version__}', results=results, external_data={})


def find_videos(folder: str,
                data_prefix: Optional[dict] = None) -> List[dict]:
    """Videos of a data root (``features/rgb`` + ``features/flow``) or of a
    folder holding ``rgb/`` and ``flow/``: ``[{video_name, rgb_path,
    flow_path}]`` sorted by name. A video lacking its flow file is an error
    that names it."""
    prefix = dict(DEFAULT_PREFIX, **(data_prefix or {}))
    candidates = [(osp.join(folder, prefix['rgb']),
                   osp.join(folder, prefix['flow'])),
                  (osp.join(folder, 'rgb'), osp.join(folder, 'flow'))]
    for rgb_dir, flow_dir in candidates:
        if osp.isdir(rgb_dir) and osp.isdir(flow_dir):
            break
    else:
        raise FileNotFoundError(
            f'{folder}: expected {prefix["rgb"]}/ and {prefix["flow"]}/ (a '
            'data root) or rgb/ and flow/ folders of <video>.npy files')
    names = sorted(
        osp.splitext(f)[0] for f in os.listdir(rgb_dir) if f.endswith('.npy'))
    flow_names = {
        osp.splitext(f)[0] for f in os.listdir(flow_dir) if f.endswith('.npy')
    }
    missing = [n for n in names if n not in flow_names]
    if missing:
        raise FileNotFoundError(
            f'{len(missing)} video(s) have RGB but no flow features in '
            f'{flow_dir}, e.g. {missing[:5]}')
    if not names:
        raise FileNotFoundError(f'no <video>.npy files in {rgb_dir}')
    return [
        dict(video_name=n, rgb_path=osp.join(rgb_dir, n + '.npy'),
             flow_path=osp.join(flow_dir, n + '.npy')) for n in names
    ]
