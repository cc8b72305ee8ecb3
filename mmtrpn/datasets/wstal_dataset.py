"""Dataset of pre-extracted snippet features with video-level labels."""
import os.path as osp
import warnings
from typing import List, Optional, Sequence, Union

import numpy as np
from mmengine.dataset import BaseDataset

from mmtrpn.registry import DATASETS
from .io import (DATA_DOC, check_video_name, load_json, read_ambiguous_file,
                 read_name_list, segments_array)


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
            Defaults to 16 / 25 (I3D, 16 frames at 25 fps).
        classes (list[str], optional): Class names and their order. Defaults
            to the file's ``classes``.
        ambiguous_file (str, optional): THUMOS ``Ambiguous_test.txt``-style
            file (``video start end`` lines), relative to ``data_root``.
        exclude_videos (list[str] | str): Names to drop, or a text file with
            one name per line (relative to ``data_root``).
        check_files (bool): Check upfront that every feature file exists and
            report all missing ones at once. Defaults to False (files are
            then checked when loaded).
    """

    def __init__(self,
                 ann_file: str,
                 data_root: str = '',
                 data_prefix: dict = dict(
                     rgb='features/rgb', flow='features/flow'),
                 subset: Union[str, Sequence[str]] = 'validation',
                 snippet_duration: float = 16 / 25,
                 classes: Optional[Sequence[str]] = None,
                 ambiguous_file: Optional[str] = None,
                 exclude_videos: Union[Sequence[str], str] = (),
                 check_files: bool = False,
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
        self.exclude_videos = exclude_videos
        self.check_files = check_files
        super().__init__(
            ann_file=ann_file,
            data_root=data_root,
            data_prefix=dict(data_prefix),
            pipeline=pipeline,
            test_mode=test_mode,
            **kwargs)

    def _root_path(self, path):
        # Relative to data_root first, then to the working directory.
        if path and self.data_root and not osp.isabs(path):
            joined = osp.join(self.data_root, path)
            if osp.exists(joined) or not osp.exists(path):
                return joined
        return path

    def load_data_list(self) -> List[dict]:
        ann_file = self.ann_file
        raw = load_json(ann_file)
        if not isinstance(raw, dict) or 'database' not in raw:
            raise ValueError(f'Annotation file {ann_file} has no "database" '
                             f'key. See {DATA_DOC}.')
        database = raw['database']
        if not isinstance(database, dict):
            raise ValueError(f'"database" in {ann_file} must map video '
                             'names to entries.')
        if self.classes_arg is not None:
            classes = self.classes_arg
        elif self._metainfo.get('classes'):
            classes = list(self._metainfo['classes'])
        elif 'classes' in raw:
            classes = raw['classes']
        else:
            raise ValueError(
                f'Annotation file {ann_file} has no "classes" list and no '
                f'classes were given to the dataset. See {DATA_DOC}.')
        if (not isinstance(classes, (list, tuple)) or not classes
                or not all(isinstance(c, str) for c in classes)):
            raise ValueError(f'"classes" of {ann_file} must be a non-empty '
                             'list of names.')
        if len(set(classes)) != len(classes):
            raise ValueError(f'Duplicate class names in {ann_file}.')
        class_index = {c: i for i, c in enumerate(classes)}
        # Reaches metrics through dataset_meta.
        self._metainfo['classes'] = tuple(classes)

        excluded = set(read_name_list(
            self._root_path(self.exclude_videos)
            if isinstance(self.exclude_videos, str) else self.exclude_videos))
        unknown = sorted(excluded - set(database))
        if unknown:
            warnings.warn(f'{len(unknown)} excluded video(s) are not in '
                          f'{ann_file}, e.g. {unknown[:3]}')
        ambiguous = {}
        if self.ambiguous_file:
            ambiguous = read_ambiguous_file(
                self._root_path(self.ambiguous_file))

        data_list = []
        n_fixed, n_dropped, fixed_videos = 0, 0, []
        subsets_seen = set()
        for name, video in database.items():
            check_video_name(name, ann_file)
            if not isinstance(video, dict):
                raise ValueError(f'Entry of video {name} in {ann_file} is '
                                 'not a mapping.')
            subsets_seen.add(video.get('subset'))
            if video.get('subset') not in self.subset or name in excluded:
                continue
            duration = video.get('duration')
            if (not isinstance(duration, (int, float))
                    or not np.isfinite(duration) or duration <= 0):
                raise ValueError(f'Video {name} in {ann_file} has invalid '
                                 f'duration {duration!r}.')
            duration = float(duration)

            segments, seg_labels = [], []
            fixed_here = 0
            for ann in video.get('annotations', []):
                try:
                    label = ann['label']
                    start, end = (float(x) for x in ann['segment'])
                except (KeyError, TypeError, ValueError) as e:
                    raise ValueError(
                        f'Malformed annotation of video {name} in '
                        f'{ann_file}: {ann!r} (need "label" and "segment": '
                        '[start, end]).') from e
                if label not in class_index:
                    raise ValueError(
                        f'Unknown class {label!r} in video {name} of '
                        f'{ann_file}; known classes: {list(classes)}')
                new_start = min(max(start, 0.0), duration)
                new_end = min(max(end, 0.0), duration)
                if (new_start, new_end) != (start, end) or end <= start:
                    fixed_here += 1
                if new_end <= new_start:
                    n_dropped += 1
                    continue
                segments.append((new_start, new_end))
                seg_labels.append(class_index[label])
            if fixed_here:
                n_fixed += fixed_here
                fixed_videos.append(name)

            if 'labels' in video:
                video_labels = video['labels']
                for label in video_labels:
                    if label not in class_index:
                        raise ValueError(
                            f'Unknown class {label!r} in "labels" of video '
                            f'{name} in {ann_file}.')
                label_ids = [class_index[c] for c in video_labels]
            else:
                label_ids = seg_labels
            multi_hot = np.zeros(len(classes), dtype=np.float32)
            multi_hot[label_ids] = 1.0

            data_list.append(
                dict(
                    video_name=name,
                    rgb_path=osp.join(self.data_prefix['rgb'], name + '.npy'),
                    flow_path=osp.join(self.data_prefix['flow'],
                                       name + '.npy'),
                    duration=duration,
                    snippet_duration=self.snippet_duration,
                    label=multi_hot,
                    gt_segments=segments_array(segments),
                    gt_labels=np.asarray(seg_labels, dtype=np.int64),
                    ambiguous_segments=segments_array(
                        ambiguous.get(name, []))))

        if not data_list:
            raise ValueError(
                f'No videos of subset {self.subset} in {ann_file} '
                f'(subsets present: {sorted(map(str, subsets_seen))}, '
                f'{len(excluded)} excluded).')
        if n_fixed:
            warnings.warn(
                f'{ann_file}: {n_fixed} segment(s) in {len(fixed_videos)} '
                f'video(s) had end <= start or lay outside [0, duration]; '
                f'clipped to the video, {n_dropped} left empty were dropped '
                f'(e.g. {fixed_videos[:3]}).')
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
