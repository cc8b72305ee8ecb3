"""Validate first when a run resumes at a step that was due a validation."""
from mmengine.hooks import Hook
from mmengine.runner import EpochBasedTrainLoop

from mmtrpn.registry import HOOKS

_KEY = 'validated_at'


@HOOKS.register_module()
class ResumeValidationHook(Hook):
    """Run the validation that a killed run owed before training on.

    MMEngine saves ``iter_N.pth`` before it validates at ``N``. A run killed
    during that validation resumes at ``N`` and validates only at the next
    due step, so the validation at ``N`` is lost for good; at the last
    iteration the resumed run ends with no final mAP and ``best_*.pth`` from
    an older step. This hook records in each checkpoint the last step whose
    validation finished; on resume at a step due a validation that the
    checkpoint does not record as done, it validates before the first
    iteration. Validation draws no training randomness (see
    ``RandomStateHook``), so the resumed run stays equal to an uninterrupted
    one.
    """

    priority = 'LOWEST'  # after the checkpoint and logger hooks set up

    def __init__(self):
        self._validated_at = None
        self._resumed_record = None

    @staticmethod
    def _progress(runner):
        loop = runner.train_loop
        return loop.epoch if isinstance(loop, EpochBasedTrainLoop) else \
            loop.iter

    def after_val_epoch(self, runner, metrics=None):
        # Only validations during training (runner.val() has no train loop;
        # reading runner.train_loop would build one).
        loop = getattr(runner, '_train_loop', None)
        if loop is not None and not isinstance(loop, dict):
            self._validated_at = self._progress(runner)

    def before_save_checkpoint(self, runner, checkpoint):
        checkpoint.setdefault('meta', {})[_KEY] = self._validated_at

    def after_load_checkpoint(self, runner, checkpoint):
        self._resumed_record = (checkpoint.get('meta') or {}).get(_KEY)

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

    def before_train(self, runner):
        step = self._progress(runner)
        if not self._due(runner, step) or self._resumed_record == step:
            return
        runner.logger.info(
            f'Resumed at {step}, which was due a validation that the '
            'checkpoint does not record as finished: validating first.')
        runner.val_loop.run()
