"""Test-time hook writing one detection figure per video."""
import os.path as osp
from typing import Optional, Sequence

from mmengine.hooks import Hook

from mmtrpn.registry import HOOKS
from .det_plot import plot_detection


@HOOKS.register_module()
class WSTALVisualizationHook(Hook):
    """Draw ``<out_dir>/<video>.png`` for each predicted video.

    Added by ``tools/test.py --show-dir DIR``. A relative ``out_dir`` is
    taken as given (relative to the working directory), not to the work dir.

    Args:
        out_dir (str): Folder of the figures.
        max_videos (int, optional): Stop after this many figures per rank.
        top_k (int): Detections drawn per class.
        max_classes (int): Detection rows at most.
        enable_val (bool): Also draw during validation (overwrites the
            figures each validation). Defaults to False.
    """
    priority = 'LOW'

    def __init__(self,
                 out_dir: str,
                 max_videos: Optional[int] = None,
                 top_k: int = 5,
                 max_classes: int = 4,
                 enable_val: bool = False) -> None:
        self.out_dir = out_dir
        self.max_videos = max_videos
        self.top_k = top_k
        self.max_classes = max_classes
        self.enable_val = enable_val
        self._count = 0

    @staticmethod
    def _classes(runner, loader) -> Optional[Sequence[str]]:
        meta = getattr(getattr(loader, 'dataset', None), 'metainfo', None)
        if meta and meta.get('classes'):
            return list(meta['classes'])
        meta = getattr(runner.model, 'dataset_meta', None) or {}
        return meta.get('classes')

    def _draw(self, runner, loader, outputs) -> None:
        classes = self._classes(runner, loader)
        for sample in outputs or []:
            if self.max_videos is not None and \
                    self._count >= self.max_videos:
                return
            name = sample.metainfo.get('video_name', f'video_{self._count}')
            plot_detection(
                sample,
                classes=classes,
                out_file=osp.join(self.out_dir, f'{name}.png'),
                top_k=self.top_k,
                max_classes=self.max_classes)
            self._count += 1

    def before_test(self, runner) -> None:
        self._count = 0

    def before_val(self, runner) -> None:
        self._count = 0

    def after_test_iter(self, runner, batch_idx, data_batch=None,
                        outputs=None) -> None:
        self._draw(runner, runner.test_dataloader, outputs)

    def after_val_iter(self, runner, batch_idx, data_batch=None,
                       outputs=None) -> None:
        if self.enable_val:
            self._draw(runner, runner.val_dataloader, outputs)
