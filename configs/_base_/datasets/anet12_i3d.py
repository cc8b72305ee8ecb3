# ActivityNet-1.2, I3D RGB + flow features. Train on
# `training`, evaluate on `validation`, tIoU 0.5:0.05:0.95.
_base_ = ['./thumos14_i3d.py']

data_root = 'data/anet12'
num_train_snippets = 60

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
        data_root=data_root, subset='training', pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        subset='validation',
        exclude_videos=[],
        ambiguous_file=None,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(
    type='TemporalMAPMetric',
    tiou_thresholds=[0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95])
test_evaluator = val_evaluator
