"""Localize actions in raw video files: extract I3D features, then run the
localizer on them.

Typical use::

    from mmtrpn.apis import init_localizer, inference_localizer
    from mmtrpn.apis.extraction import FeatureExtractor
    from mmtrpn.apis.video_inference import videos_to_inputs
    model = init_localizer('configs/dtrp_loc/trpn_thumos.py', 'model.pth')
    extractor = FeatureExtractor('rgb_imagenet.pt', 'flow_imagenet.pt')
    infos, failures = videos_to_inputs(['clip.mp4'], extractor, 'feats')
    for info in infos:
        print(inference_localizer(model, info)['detections'])

``tools/inference.py CONFIG CKPT --video clip.mp4`` does this in one
command.
"""
import os.path as osp
import warnings
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from .extraction import (FeatureExtractor, extract_videos, feature_paths,
                         video_name)


def videos_to_inputs(videos: Sequence[str], extractor: FeatureExtractor,
                     feature_root: str,
                     video_progress: Optional[Callable] = None
                     ) -> Tuple[List[dict], Dict[str, str]]:
    """Extract ``videos`` into the data root ``feature_root`` (resumable:
    videos already there are reused) and return one data_info per video
    extracted for :func:`mmtrpn.apis.inference_localizer`: ``video_name``,
    ``rgb_path``, ``flow_path``, ``duration`` and the extractor's
    ``snippet_duration``.

    Args:
        video_progress: see :func:`extract_videos`.

    Returns:
        (data infos of the videos extracted or reused, {video path: error}
        of those that failed: unreadable or corrupt, skipped).
    """
    from mmtrpn.utils.fileio import load_json
    done, skipped, failures = extract_videos(
        videos, feature_root, extractor, video_progress=video_progress)
    infos = []
    if done or skipped:
        database = load_json(osp.join(feature_root, 'annotations.json'),
                             'Annotation file')['database']
    for path in videos:
        if path in failures:
            continue
        name = video_name(path)
        files = feature_paths(feature_root, name)
        infos.append(
            dict(video_name=name,
                 rgb_path=files['rgb'],
                 flow_path=files['flow'],
                 duration=float(database[name]['duration']),
                 snippet_duration=extractor.snippet_duration))
    return infos, failures


def check_snippet_duration(model, extractor: FeatureExtractor) -> None:
    """Warn when the model's test data used another snippet duration."""
    from .inference import _test_dataset_cfg
    cfg = getattr(model, 'cfg', None)
    expected = _test_dataset_cfg(cfg).get('snippet_duration') if cfg else None
    if expected is not None and abs(float(expected) -
                                    extractor.snippet_duration) > 1e-6:
        warnings.warn(
            f'the model\'s config uses snippet_duration={expected:.4g} s but '
            f'the extracted snippets last {extractor.snippet_duration:.4g} s '
            f'({extractor.snippet_frames} frames at {extractor.fps:g} fps); '
            'detections may be off')
