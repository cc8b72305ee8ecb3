# DTRP-Loc on THUMOS-14, the paper read literally (docs/method.md; Table 3
# and 4 rows inherit it): I3D 1024 + 1024,
# T = 320, Adam lr 1e-4, weight decay 1e-3, batch 16 on 1 GPU.
_base_ = [
    '_base_/models/dtrp_loc.py', '_base_/datasets/thumos14_i3d.py',
    '_base_/schedules/adam_5k.py', '_base_/default_runtime.py'
]
# Stated once: the class count and feature widths reach the model and the
# datasets (whose feature loader checks every file's width) from here;
# ModelDatasetCheckHook checks the annotation file's classes at start.
num_classes = 20
feature_dims = (1024, 1024)  # (D_rgb, D_flow)
model = dict(num_classes=num_classes, feature_dims=feature_dims)
train_dataloader = dict(dataset=dict(feature_dims=feature_dims))
val_dataloader = dict(dataset=dict(feature_dims=feature_dims))
test_dataloader = val_dataloader
