# ActivityNet-1.2, I3D RGB + flow features, tIoU 0.5:0.95.
# Protocol (docs/train_test.md): train on `training` minus a held-out split
# of 483 videos (10 % per class, splits/anet12_heldout.txt, written by
# tools/data/make_heldout_split.py), validate and select checkpoints on
# those, and score `validation` (the usual test set) with tools/test.py
# only. The literature's protocol is configs/dtrp_loc/trpn_anet_select-on-test.py.
_base_ = ['./thumos14_i3d.py']

data_root = 'data/anet12'
num_classes = 100  # feature widths as THUMOS-14's (I3D 1024 + 1024)
num_train_snippets = 60
heldout_file = '{{fileDirname}}/splits/anet12_heldout.txt'

train_pipeline = [
    dict(type='LoadSnippetFeatures'),
    dict(type='SampleSnippets', num_snippets=num_train_snippets),
    dict(type='PackWSTALInputs'),
]
test_pipeline = [
    dict(type='LoadSnippetFeatures'),
    dict(type='PackWSTALInputs'),
]
train_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        subset='training',
        exclude_videos=heldout_file,
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        subset='training',
        include_videos=heldout_file,
        pipeline=test_pipeline))
test_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        subset='validation',
        exclude_videos=[],
        ambiguous_file=None,
        pipeline=test_pipeline))

val_evaluator = dict(
    type='TemporalMAPMetric',
    tiou_thresholds=[0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95])
test_evaluator = val_evaluator
