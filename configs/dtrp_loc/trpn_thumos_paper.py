# DTRP-Loc on THUMOS-14, the paper read literally (docs/method.md; Table 3
# row 10 and Table 4 T-RPN*, and the other rows inherit it): I3D 1024 + 1024,
# T = 320, Adam lr 1e-4, weight decay 1e-3, batch 16 on 1 GPU.
_base_ = [
    '../_base_/models/dtrp_loc.py', '../_base_/datasets/thumos14_i3d.py',
    '../_base_/schedules/adam_5k.py', '../_base_/default_runtime.py'
]
# class count and feature widths: the dataset's (_base_/datasets/)
model = dict(
    num_classes=_base_.num_classes, feature_dims=_base_.feature_dims)
