"""Write a trained stage's pseudo action segments for the next stage."""
import copy
import os.path as osp
from typing import Optional

import numpy as np
from mmengine.dist import barrier, is_main_process
from mmengine.hooks import Hook
from mmengine.runner import Runner

from mmtrpn.registry import HOOKS, TASK_UTILS
from mmtrpn.structures.annotations import write_pseudo_segments

# ASM-Loc generates pseudo segments from the foreground attention only,
# thresholds 0.4 ... 0.9, hard NMS at 0.45, OIC margin 0.2 without the
# video-score term.
DEFAULT_PSEUDO_POSTPROCESSOR = dict(
    type='WSTALPostProcessor',
    class_threshold=0.25,
    fg_thresholds=tuple(np.arange(0.4, 0.925, 0.025).round(4).tolist()),
    oic_margin=0.2,
    oic_video_weight=0.0,
    nms='hard',
    nms_iou=0.45,
    max_per_video=None)


@HOOKS.register_module()
class PseudoSegmentExportHook(Hook):
    """After training, predict segments on the training, validation and
    test videos and write them as the next refinement step's
    ``segment_file``.

    The training videos are read with the test pipeline (full sequences) and
    ``LoadPseudoSegments`` (if present) keeps the segments of their
    ground-truth classes, as ASM-Loc does; validation and test videos use
    their own pipelines. The main process writes the file with
    ``structures.annotations.write_pseudo_segments`` (atomically), the
    format ``load_pseudo_segments`` reads and checks. Any localizer serves:
    ``predict`` takes a ``postprocessor`` by the contract.

    Args:
        out_file (str): Output path, relative to the work dir.
        postprocessor (dict): Segment generator for the pseudo segments.
    """

    priority = 'LOW'

    def __init__(self, out_file: str = 'pseudo_segments.json',
                 postprocessor: Optional[dict] = None):
        self.out_file = out_file
        self.postprocessor = TASK_UTILS.build(
            copy.deepcopy(postprocessor or DEFAULT_PSEUDO_POSTPROCESSOR))

    def _loaders(self, runner):
        """Training videos (ground-truth classes kept), then the validation
        and test videos of the config (predicted classes)."""
        cfg = runner.cfg
        train_ds = copy.deepcopy(cfg.test_dataloader.dataset)
        train_ds['subset'] = cfg.train_dataloader.dataset.subset
        train_ds['exclude_videos'] = []
        train_ds['ambiguous_file'] = None
        for t in train_ds['pipeline']:
            if t.get('type') == 'LoadPseudoSegments':
                t['use_gt_labels'] = True
        datasets = [train_ds]
        for key in ('val_dataloader', 'test_dataloader'):
            loader = cfg.get(key)
            if loader and loader.dataset.subset not in [
                    d['subset'] for d in datasets]:
                datasets.append(copy.deepcopy(loader.dataset))
        for ds in datasets:
            yield Runner.build_dataloader(
                dict(batch_size=1, num_workers=0,
                     sampler=dict(type='DefaultSampler', shuffle=False),
                     dataset=ds))

    def after_train(self, runner) -> None:
        path = osp.join(runner.work_dir, self.out_file)
        if is_main_process():
            model = getattr(runner.model, 'module', runner.model)
            was_training = model.training
            model.eval()
            results, classes, durations = {}, None, {}
            for loader in self._loaders(runner):
                classes = list(loader.dataset.metainfo['classes'])
                for batch in loader:
                    data = model.data_preprocessor(batch, False)
                    for out in model.predict(
                            data['inputs'], data['data_samples'],
                            postprocessor=self.postprocessor):
                        meta = out.metainfo
                        durations[meta['video_name']] = float(
                            meta['snippet_duration'])
                        results[meta['video_name']] = [
                            dict(segment=[float(s), float(e)], label=int(c),
                                 score=float(x)) for (s, e), c, x in zip(
                                     out.pred_segments.tolist(),
                                     out.pred_labels.tolist(),
                                     out.pred_scores.tolist())
                        ]
            write_pseudo_segments(path, results, classes,
                                  one_snippet_duration(durations),
                                  step=getattr(model, 'refine_step', None))
            runner.logger.info(
                f'pseudo segments of {len(results)} videos written to {path}')
            model.train(was_training)
        barrier()


def one_snippet_duration(durations: dict) -> float:
    """The snippet duration all videos share (the file records one)."""
    values = sorted(set(durations.values()))
    if len(values) != 1:
        raise ValueError('pseudo segments need one snippet duration for all '
                         f'videos, got {values[:5]} (e.g. video '
                         f'{next(iter(durations), None)})')
    return values[0]
