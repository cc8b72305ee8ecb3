# The built-in synthetic default (tools/data/make_synthetic.py): THUMOS-like
# timelines over generated "I3D"-like features.
# Protocol as THUMOS-14: train on `validation` minus the held-out split the
# generator writes to <data_root>/heldout.txt (2 videos per class), validate
# on that split, score `test` with tools/test.py only.
_base_ = ['./thumos14_i3d.py']

data_root = 'data/synthetic'
num_classes = 10
feature_dims = (64, 64)  # (D_rgb, D_flow)
num_train_snippets = 128
heldout_file = 'heldout.txt'  # relative to data_root

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
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        data_root=data_root,
        feature_dims=feature_dims,
        exclude_videos=heldout_file,
        pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        data_root=data_root,
        feature_dims=feature_dims,
        include_videos=heldout_file,
        pipeline=test_pipeline))
test_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        data_root=data_root,
        feature_dims=feature_dims,
        ambiguous_file=None,
        pipeline=test_pipeline))
