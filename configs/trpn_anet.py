# DTRP-Loc on ActivityNet-1.2: I3D 1024 + 1024, T = 60, 100 classes,
# Adam lr 1e-4, weight decay 1e-3, batch 16, evaluated at tIoU 0.5:0.95.
_base_ = [
    '_base_/models/dtrp_loc.py', '_base_/datasets/anet12_i3d.py',
    '_base_/schedules/adam_20k.py', '_base_/default_runtime.py'
]
# The class count and feature widths are stated here only, for the model;
# ModelDatasetCheckHook checks at start that the datasets agree.
model = dict(num_classes=100, feature_dims=(1024, 1024))
default_hooks = dict(checkpoint=dict(interval=2000))
