# The README main job with the paper read literally: DTRP-Loc on the
# built-in synthetic data, sized to
# train and evaluate in a few minutes on 2 CPU cores.
_base_ = [
    '../_base_/models/dtrp_loc.py', '../_base_/datasets/synthetic.py',
    '../_base_/schedules/adam_5k.py', '../_base_/default_runtime.py'
]
# class count and feature widths: the dataset's (_base_/datasets/)
model = dict(
    num_classes=_base_.num_classes,
    feature_dims=_base_.feature_dims,
    neck=dict(temporal_hidden=64),
    proposal_stage=dict(rpn_head=dict(hidden=64)))
optim_wrapper = dict(optimizer=dict(lr=1e-3))
train_cfg = dict(max_iters=400, val_interval=200)
default_hooks = dict(
    logger=dict(interval=50), checkpoint=dict(interval=200))
