"""A resumed run deletes and records files of its own work dir only."""
import os.path as osp

from mmengine.hooks import Hook

from mmtrpn.registry import HOOKS

# Paths MMEngine's CheckpointHook keeps in the message hub and, on resume,
# deletes (the previous best) or records.
_PATH_KEYS = ('best_ckpt', 'last_ckpt')


@HOOKS.register_module()
class OwnWorkDirFilesHook(Hook):
    """Rebase the checkpoint paths a resumed checkpoint records to this
    run's work dir.

    The message hub of a checkpoint holds absolute paths of the run that
    wrote it; resumed from a copied work dir (or with ``--resume PATH`` of
    another run), ``CheckpointHook`` would delete that run's best
    checkpoint when the score improves. A recorded path outside the work
    dir becomes the work dir's file of the same name, or is dropped when
    there is none (nothing outside is then deleted).
    """

    priority = 'VERY_HIGH'  # before CheckpointHook reads them

    def before_train(self, runner):
        hub = runner.message_hub
        work_dir = osp.abspath(runner.work_dir)
        for key in list(hub.runtime_info):
            if not key.startswith(_PATH_KEYS):
                continue
            path = hub.get_info(key)
            if not isinstance(path, str) or \
                    osp.dirname(osp.abspath(path)) == work_dir:
                continue
            own = osp.join(work_dir, osp.basename(path))
            if osp.isfile(own):
                hub.update_info(key, own)
            else:
                own = None
                hub.pop_info(key)
            runner.logger.info(f'{key} of the resumed checkpoint was '
                               f'{path}, outside this work dir: now {own}.')
