# DTRP-Loc on ActivityNet-1.2, the paper read literally (docs/method.md):
# I3D 1024 + 1024, T = 60, 100 classes,
# Adam lr 1e-4, weight decay 1e-3, batch 16, evaluated at tIoU 0.5:0.95.
_base_ = [
    '../_base_/models/dtrp_loc.py', '../_base_/datasets/anet12_i3d.py',
    '../_base_/schedules/adam_20k.py', '../_base_/default_runtime.py'
]
# class count and feature widths: the dataset's (_base_/datasets/)
model = dict(
    num_classes=_base_.num_classes, feature_dims=_base_.feature_dims)
default_hooks = dict(checkpoint=dict(interval=2000))
