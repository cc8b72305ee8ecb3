"""Validate first when a run resumes at a step that was due a validation
that did not finish; never repeat one that did."""
import json
import os.path as osp
import uuid

from mmengine.dist import broadcast_object_list, is_main_process
from mmengine.hooks import Hook
from mmengine.runner import EpochBasedTrainLoop

from mmtrpn.registry import HOOKS
from mmtrpn.utils.fileio import atomic_write_json

_KEY = 'validated_at'
_RUN_KEY = 'validation_run_id'
# Written next to the checkpoints after every validation during training.
RECORD_FILE = 'validated_at.json'


@HOOKS.register_module()
class ResumeValidationHook(Hook):
    """Run the validation that a killed run owed before training on.

    MMEngine saves ``iter_N.pth`` before it validates at ``N``, so the
    checkpoint cannot say whether that validation finished. A run killed
    during it would resume at ``N`` and validate only at the next due step:
    the validation at ``N`` would be lost, and at the last iteration the
    run would end with no final mAP and ``best_*.pth`` from an older step.

    So each finished validation is recorded twice: in the checkpoints
    saved after it (meta ``validated_at``), and in ``validated_at.json``
    beside the checkpoints, with an id of the run that every checkpoint of
    the run carries (``validation_run_id``, kept across resumes). On
    resume at a step due a validation, the hook validates first unless
    either record says the validation at that step finished in this run.
    Validation draws no training randomness (see ``RandomStateHook``), so
    the resumed run stays equal to an uninterrupted one.
    """

    priority = 'LOWEST'  # after the checkpoint and logger hooks set up

    def __init__(self):
        self._validated_at = None
        self._resumed_record = None
        self._run_id = None

    @staticmethod
    def _progress(runner):
        loop = runner.train_loop
        return loop.epoch if isinstance(loop, EpochBasedTrainLoop) else \
            loop.iter

    @staticmethod
    def _record_dirs(runner):
        """Where the record may be: the work dir, and the folder of an
        explicit ``--resume PATH`` checkpoint."""
        dirs = [runner.work_dir]
        load_from = runner.cfg.get('load_from', None)
        if isinstance(load_from, str) and osp.dirname(load_from):
            dirs.append(osp.dirname(load_from))
        return dirs

    def after_val_epoch(self, runner, metrics=None):
        # Only validations during training (runner.val() has no train loop;
        # reading runner.train_loop would build one).
        loop = getattr(runner, '_train_loop', None)
        if loop is None or isinstance(loop, dict):
            return
        self._validated_at = self._progress(runner)
        if is_main_process():
            atomic_write_json(
                osp.join(runner.work_dir, RECORD_FILE),
                {'run_id': self._run_id, _KEY: self._validated_at})

    def before_save_checkpoint(self, runner, checkpoint):
        meta = checkpoint.setdefault('meta', {})
        meta[_KEY] = self._validated_at
        meta[_RUN_KEY] = self._run_id

    def after_load_checkpoint(self, runner, checkpoint):
        meta = checkpoint.get('meta') or {}
        self._resumed_record = meta.get(_KEY)
        self._run_id = meta.get(_RUN_KEY)

    def _due(self, runner, step):
        loop = runner.train_loop
        if runner.val_loop is None or step <= 0:
            return False
        if hasattr(loop, '_decide_current_val_interval'):
            loop._decide_current_val_interval()
        end = loop.max_epochs if isinstance(loop, EpochBasedTrainLoop) \
            else loop.max_iters
        return step >= loop.val_begin and (step % loop.val_interval == 0
                                           or step == end)

    def _recorded_beside(self, runner, step):
        """Whether a record file of this run names ``step``."""
        if self._run_id is None:
            return False
        for folder in self._record_dirs(runner):
            path = osp.join(folder, RECORD_FILE)
            try:
                with open(path) as f:
                    record = json.load(f)
            except (OSError, ValueError):
                continue
            if (isinstance(record, dict)
                    and record.get('run_id') == self._run_id
                    and record.get(_KEY) == step):
                return True
        return False

    def before_train(self, runner):
        if self._run_id is None:  # a new run (not resumed, or pre-id)
            self._run_id = uuid.uuid4().hex
        step = self._progress(runner)
        if not self._due(runner, step) or self._resumed_record == step:
            return
        # Rank 0 reads the file; every rank must take the same branch.
        finished = [self._recorded_beside(runner, step)]
        broadcast_object_list(finished)
        if finished[0]:
            self._validated_at = step
            runner.logger.info(
                f'Resumed at {step}, whose validation finished before the '
                f'run stopped ({RECORD_FILE}): not repeating it.')
            return
        runner.logger.info(
            f'Resumed at {step}, which was due a validation that the '
            'checkpoint does not record as finished: validating first.')
        runner.val_loop.run()
