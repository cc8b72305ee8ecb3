"""Dataset of pre-extracted snippet features with video-level labels."""
import os.path as osp
from typing import List, Optional, Sequence, Union

import numpy as np
from mmengine.dataset import BaseDataset

from mmtrpn.registry import DATASETS
from mmtrpn.structures.annotations import (DATA_DOC, load_annotations,
                                           read_ambiguous_file,
                                           read_video_list)
from mmtrpn.structures.segments import (DEFAULT_SNIPPET_DURATION,
                                        segments_array)


# Feature folders relative to data_root.
DEFAULT_DATA_PREFIX = dict(rgb='features/rgb', flow='features/flow')


def resolve_under_root(path: str, data_root: str) -> str:
    """A list file's path: relative to ``data_root`` first, then to the
    working directory (absolute paths unchanged)."""
    if path and data_root and not osp.isabs(path):
        joined = osp.join(data_root, path)
        if osp.exists(joined) or not osp.exists(path):
            return joined
    return path


@DATASETS.register_module()
class WSTALFeatureDataset(BaseDataset):
    """Videos given as RGB/flow snippet features, one data_info per video.

    On disk (see docs/data_preparation.md)::

        <data_root>/annotations.json
        <data_root>/features/rgb/<video>.npy    float32 (T, D_rgb)
        <data_root>/features/flow/<video>.npy   float32 (T, D_flow)

    ``annotations.json`` holds ``{"classes": [...], "database": {video:
    {"subset", "duration", "annotations": [{"label", "segment"}],
    optional "labels"}}}``; ``labels`` overrides the video-level label set
    that is otherwise the set of segment labels.

    Args:
        ann_file (str): Annotation JSON, relative to ``data_root``.
        data_root (str): Dataset root folder.
        data_prefix (dict): Feature folders ``rgb`` and ``flow`` relative to
            ``data_root``.
        subset (str | list[str]): Subset(s) to keep, e.g. ``'validation'``.
        snippet_duration (float): Seconds per feature snippet.
            Defaults to ``DEFAULT_SNIPPET_DURATION`` (I3D: 16 frames at
            25 fps).
        classes (list[str], optional): Class names and their order. Defaults
            to the file's ``classes``.
        ambiguous_file (str, optional): THUMOS ``Ambiguous_test.txt``-style
            file (``video start end`` lines), relative to ``data_root``.
        include_videos (list[str] | str, optional): Keep only these videos
            of ``subset`` (e.g. a held-out validation split), given as names
            or a text file with one name per line (relative to
            ``data_root``, else to the working directory, or absolute).
            Every listed name must be a video of ``subset``. Defaults to
            None (all videos of ``subset``).
        exclude_videos (list[str] | str): Names to drop, or a text file with
            one name per line (found as for ``include_videos``).
        check_files (bool): Check upfront that every feature file exists and
            report all missing ones at once. Defaults to False (files are
            then checked when loaded).
        feature_dims (Sequence[int], optional): Expected ``(D_rgb,
            D_flow)``, handed to the pipeline in each data_info, where
            ``LoadSnippetFeatures`` checks them. Configs set it from the
            variable that also gives ``model.feature_dims``.
    """

    def __init__(self,
                 ann_file: str,
                 data_root: str = '',
                 data_prefix: dict = DEFAULT_DATA_PREFIX,
                 subset: Union[str, Sequence[str]] = 'validation',
                 snippet_duration: float = DEFAULT_SNIPPET_DURATION,
                 classes: Optional[Sequence[str]] = None,
                 ambiguous_file: Optional[str] = None,
                 include_videos: Union[Sequence[str], str, None] = None,
                 exclude_videos: Union[Sequence[str], str] = (),
                 check_files: bool = False,
                 feature_dims: Optional[Sequence[int]] = None,
                 pipeline: List[Union[dict, callable]] = [],
                 test_mode: bool = False,
                 **kwargs) -> None:
        self.subset = [subset] if isinstance(subset, str) else list(subset)
        if not self.subset:
            raise ValueError('subset must name at least one subset.')
        if (not isinstance(snippet_duration, (int, float))
                or not np.isfinite(snippet_duration) or snippet_duration <= 0):
            raise ValueError('snippet_duration must be a finite number > 0, '
                             f'got {snippet_duration!r}')
        self.snippet_duration = float(snippet_duration)
        self.classes_arg = None if classes is None else list(classes)
        self.ambiguous_file = ambiguous_file
        self.include_videos = include_videos
        self.exclude_videos = exclude_videos
        self.check_files = check_files
        self.feature_dims = None if feature_dims is None else tuple(
            int(d) for d in feature_dims)
        if self.feature_dims is not None and len(self.feature_dims) != 2:
            raise ValueError('feature_dims is (D_rgb, D_flow), got '
                             f'{feature_dims!r}')
        super().__init__(
            ann_file=ann_file,
            data_root=data_root,
            data_prefix=dict(data_prefix),
            pipeline=pipeline,
            test_mode=test_mode,
            **kwargs)

    def _root_path(self, path):
        return resolve_under_root(path, self.data_root)

    def _video_list(self, names_or_file) -> List[str]:
        return read_video_list(
            self._root_path(names_or_file)
            if isinstance(names_or_file, str) else names_or_file)

    def _list_source(self, names_or_file) -> str:
        if isinstance(names_or_file, str):
            return f'file {self._root_path(names_or_file)}'
        return '(given as a list)'

    def load_data_list(self) -> List[dict]:
        if self.classes_arg is not None:
            classes = self.classes_arg
        elif self._metainfo.get('classes'):
            classes = list(self._metainfo['classes'])
        else:
            classes = None  # the file's
        excluded = set(self._video_list(self.exclude_videos))
        annotations = load_annotations(
            self.ann_file,
            classes=classes,
            subset=self.subset,
            exclude=excluded,
            clip_segments=True)
        # Reaches metrics through dataset_meta.
        self._metainfo['classes'] = tuple(annotations.classes)
        videos = annotations.videos
        if self.include_videos is not None:
            included = set(self._video_list(self.include_videos))
            missing = sorted(included - excluded - set(videos))
            if missing:
                raise ValueError(
                    f'{len(missing)} video(s) of include_videos '
                    f'{self._list_source(self.include_videos)} are not '
                    f'videos of subset {self.subset} in {self.ann_file}, '
                    f'e.g. {missing[:5]}')
            videos = {n: v for n, v in videos.items() if n in included}
            if not videos:
                raise ValueError(
                    f'No videos of subset {self.subset} in {self.ann_file} '
                    f'are listed in include_videos '
                    f'{self._list_source(self.include_videos)}')
        ambiguous = {}
        if self.ambiguous_file:
            ambiguous = read_ambiguous_file(
                self._root_path(self.ambiguous_file))

        num_classes = len(annotations.classes)
        data_list = [
            dict(
                video_name=name,
                rgb_path=osp.join(self.data_prefix['rgb'], name + '.npy'),
                flow_path=osp.join(self.data_prefix['flow'], name + '.npy'),
                duration=video.duration,
                snippet_duration=self.snippet_duration,
                label=video.multi_hot(num_classes),
                gt_segments=segments_array(video.segments),
                gt_labels=video.labels,
                ambiguous_segments=segments_array(ambiguous.get(name, [])))
            for name, video in videos.items()
        ]
        if self.feature_dims is not None:
            for info in data_list:
                info['feature_dims'] = self.feature_dims
        if self.check_files:
            self._check_feature_files(data_list)
        return data_list

    def _check_feature_files(self, data_list: List[dict]) -> None:
        for key in ('rgb', 'flow'):
            missing = [
                d['video_name'] for d in data_list
                if not osp.isfile(d[f'{key}_path'])
            ]
            if missing:
                raise FileNotFoundError(
                    f'{len(missing)} of {len(data_list)} {key} feature files '
                    f'are missing in {self.data_prefix[key]} (expected '
                    f'<video>.npy), e.g. {missing[:5]}. See {DATA_DOC} to '
                    'prepare or convert features.')
