# THUMOS-14, I3D RGB + flow features, 16-frame snippets at 25 fps. Prepare
# the files with docs/data_preparation.md.
# Protocol (docs/train_test.md): train on the 200 validation videos minus a
# held-out split of 40 (2 per class, splits/thumos14_heldout.txt, written by
# tools/data/make_heldout_split.py), validate and select checkpoints on those
# 40, and score the 212 test videos with tools/test.py only. The literature's
# protocol (all 200 for training, checkpoints selected on the test videos) is
# configs/dtrp_loc/trpn_thumos_select-on-test.py.
dataset_type = 'WSTALFeatureDataset'
data_root = 'data/thumos14'
ann_file = 'annotations.json'
snippet_duration = 16 / 25
# Stated once: the loaders check every feature file's widths against
# feature_dims, and a top-level config hands both to its model with
# model = dict(num_classes=_base_.num_classes, feature_dims=_base_.feature_dims);
# ModelDatasetCheckHook checks the annotation file's classes at start.
num_classes = 20
feature_dims = (1024, 1024)  # (D_rgb, D_flow)
num_train_snippets = 320
# Absolute (the folder of this file), so it is found from any working
# directory and through `mmtrpn::` inheritance.
heldout_file = '{{fileDirname}}/splits/thumos14_heldout.txt'

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
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file=ann_file,
        subset='validation',
        exclude_videos=heldout_file,
        snippet_duration=snippet_duration,
        feature_dims=feature_dims,
        pipeline=train_pipeline))
# One video per batch: scores then do not depend on which videos share a
# batch (BLAS paths vary with batch shape), so 1- and N-process evaluation
# agree bit for bit.
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file=ann_file,
        subset='validation',
        include_videos=heldout_file,
        snippet_duration=snippet_duration,
        feature_dims=feature_dims,
        pipeline=test_pipeline,
        test_mode=True))
test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file=ann_file,
        subset='test',
        snippet_duration=snippet_duration,
        feature_dims=feature_dims,
        # 212 test videos as W-TALC/CO2-Net/DELU; for OpenTAD's 211 use
        # exclude_videos=['video_test_0000270', 'video_test_0001292'].
        exclude_videos=[],
        ambiguous_file='Ambiguous_test.txt',
        pipeline=test_pipeline,
        test_mode=True))

val_evaluator = dict(
    type='TemporalMAPMetric',
    tiou_thresholds=[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7])
test_evaluator = val_evaluator
