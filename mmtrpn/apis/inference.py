"""Run a trained localizer on feature files, outside the Runner.

Typical use::

    from mmtrpn.apis import init_localizer, inference_localizer
    model = init_localizer('configs/dtrp_loc/trpn_synthetic.py', 'iter_400.pth')
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

from mmtrpn.datasets.transforms.loading import (check_features,
                                                check_same_length)
from mmtrpn.datasets.wstal_dataset import DEFAULT_DATA_PREFIX
from mmtrpn.structures.annotations import (Annotations, detections_to_results,
                                           load_annotations)
from mmtrpn.structures.segments import (DEFAULT_SNIPPET_DURATION,
                                        segments_array, snippets_to_seconds)
from mmtrpn.structures.wstal_data_sample import to_detections

DEFAULT_PREFIX = DEFAULT_DATA_PREFIX
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
        config's test annotations when readable, else ``class_<i>``). A class
        list whose length differs from the model's ``num_classes`` is an
        error, not renamed.
    """
    from mmtrpn.registry import MODELS
    from mmtrpn.utils import apply_compat_fixes, register_all_modules
    from mmtrpn.utils.config_checks import (check_config_values,
                                            check_model_options)

    apply_compat_fixes()
    if isinstance(config, (str, os.PathLike)):
        config = Config.fromfile(os.fspath(config))
    elif not isinstance(config, Config):
        raise TypeError(f'config must be a path or Config, got {type(config)}')
    cfg = copy.deepcopy(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    register_all_modules(init_default_scope=False)
    check_config_values(cfg)
    check_model_options(cfg)
    model = MODELS.build(cfg.model)
    meta = {}
    if checkpoint is not None:
        meta = _load_weights(model, checkpoint, trust_checkpoint)
    classes, source = (meta.get('dataset_meta') or {}).get('classes'), \
        f'checkpoint {checkpoint}'
    if not classes:
        classes, source = _config_classes(cfg)
    if not classes:
        classes = [f'class_{i}' for i in range(model.num_classes)]
    elif len(classes) != model.num_classes:
        raise ValueError(
            f'{len(classes)} classes in {source}, but the model built from '
            f'the config has num_classes={model.num_classes}: use the config '
            'the checkpoint was trained with, or fix num_classes.')
    model.cfg = cfg
    model.dataset_meta = dict(classes=list(classes))
    model.to(device)
    model.eval()
    return model


def _load_weights(model, checkpoint: str, trust_checkpoint: bool) -> dict:
    """Load ``checkpoint`` into ``model``; its ``meta`` (or {}). A
    checkpoint that lacks model parameters, has other shapes or non-finite
    weights is refused (MMEngine loads non-strictly)."""
    from mmengine.runner import load_checkpoint

    from mmtrpn.engine.hooks.checkpoint_check_hook import \
        check_checkpoint_state
    from mmtrpn.utils.compat import TRUST_CHECKPOINTS_ENV
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
    return (ckpt.get('meta') or {}) if isinstance(ckpt, dict) else {}


def _config_classes(cfg) -> Tuple[Optional[List[str]], str]:
    """Classes of the config's test dataset, and where they come from."""
    ds = _test_dataset_cfg(cfg)
    if ds.get('classes'):
        return list(ds['classes']), 'the config\'s test dataset'
    ann = ds.get('ann_file')
    if not ann:
        return None, ''
    path = ann if osp.isabs(ann) else osp.join(ds.get('data_root', ''), ann)
    try:
        return load_annotations(path).classes, path
    except (OSError, ValueError):
        return None, ''


def cached_annotations(path: str,
                       classes: Optional[Sequence[str]] = None
                       ) -> Annotations:
    """The validated annotation file, read once per file version (and
    class list) so that many videos share it."""
    st = os.stat(path)
    key = (osp.abspath(path), st.st_mtime_ns, st.st_size,
           None if classes is None else tuple(classes))
    if key not in _ANN_CACHE:
        _ANN_CACHE.clear()
        _ANN_CACHE[key] = load_annotations(path, classes=classes)
    return _ANN_CACHE[key]


_ANN_CACHE: Dict[tuple, Annotations] = {}


def _build_pipeline(model, skip_loading: bool):
    """The config's test pipeline; its loader expects the model's widths."""
    from mmtrpn.registry import TRANSFORMS
    ds = _test_dataset_cfg(getattr(model, 'cfg', None) or Config())
    steps = ds.get('pipeline') or [
        dict(type=_LOADER), dict(type='PackWSTALInputs')
    ]
    out = []
    for step in steps:
        step = copy.deepcopy(step)
        if step.get('type') == _LOADER:
            if skip_loading:
                continue
            step.setdefault('rgb_dim', model.feature_dims[0])
            step.setdefault('flow_dim', model.feature_dims[1])
        out.append(TRANSFORMS.build(step))
    return out


def _info_from_arrays(rgb, flow, name: str, feature_dims) -> dict:
    rgb = check_features(np.asarray(rgb), name, 'rgb', dim=feature_dims[0])
    flow = check_features(np.asarray(flow), name, 'flow',
                          dim=feature_dims[1])
    check_same_length(rgb, flow, name)
    return dict(video_name=name, rgb=rgb, flow=flow,
                num_snippets=int(rgb.shape[0]))


def _info_from_name(video: str, ds_cfg: dict,
                    data_root: Optional[str]) -> dict:
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
    return info


def _video_info(video, model, ds_cfg: dict, data_root: Optional[str],
                video_name: Optional[str]) -> dict:
    """The data_info of ``video`` (see :func:`inference_localizer`); it
    holds ``rgb``/``flow`` arrays instead of paths when arrays were given."""
    if isinstance(video, dict):
        info = dict(video)
    elif isinstance(video, (tuple, list)):
        if len(video) != 2:
            raise ValueError('video must be a pair (rgb, flow), got '
                             f'{len(video)} items')
        rgb, flow = video
        if isinstance(rgb, (str, os.PathLike)):
            info = dict(
                video_name=video_name or osp.splitext(osp.basename(rgb))[0],
                rgb_path=os.fspath(rgb), flow_path=os.fspath(flow))
        else:
            info = _info_from_arrays(rgb, flow, video_name or 'video',
                                     model.feature_dims)
    elif isinstance(video, str):
        info = _info_from_name(video, ds_cfg, data_root)
    else:
        raise TypeError('video must be (rgb, flow), a video name or a '
                        f'data_info dict, got {type(video)}')
    info.setdefault(
        'snippet_duration',
        float(ds_cfg.get('snippet_duration', DEFAULT_SNIPPET_DURATION)))
    return info


def _add_ground_truth(info: dict, ann_file: str,
                      classes: Sequence[str]) -> None:
    """Add gt fields and duration of ``info['video_name']`` when the
    annotation file knows the video."""
    video = cached_annotations(ann_file, classes).videos.get(
        info['video_name'])
    if video is None:
        return
    info.update(
        gt_segments=segments_array(video.segments),
        gt_labels=video.labels,
        label=video.multi_hot(len(classes)),
        duration=video.duration)


def _pack(model, info: dict):
    """(inputs, data sample) of ``info`` through the test pipeline."""
    data = info
    for transform in _build_pipeline(model, skip_loading='rgb' in info):
        if 'inputs' not in data and 'num_snippets' in data \
                and 'duration' not in data:
            data['duration'] = snippets_to_seconds(
                data['num_snippets'], data['snippet_duration']).item()
        data = transform(data)
        if data is None:
            raise RuntimeError(f'the test pipeline dropped video '
                               f'{info["video_name"]}')
    return data['inputs'], data['data_samples']


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
    classes = list(model.dataset_meta['classes'])
    ds_cfg = _test_dataset_cfg(getattr(model, 'cfg', None) or Config())
    info = _video_info(video, model, ds_cfg, data_root, video_name)
    if ann_file:
        _add_ground_truth(info, ann_file, classes)
    inputs, sample = _pack(model, info)
    with torch.no_grad():
        out = model.test_step(dict(inputs=[inputs], data_samples=[sample]))[0]
    dets = to_detections(out)
    return dict(
        video_name=info['video_name'],
        detections=detections_to_results(dets['pred_segments'],
                                         dets['pred_labels'],
                                         dets['pred_scores'], classes),
        data_sample=out)


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
