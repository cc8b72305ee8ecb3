# The built-in synthetic default (tools/data/make_synthetic.py): THUMOS-like
# timelines over generated "I3D"-like features (widths and class count are
# stated by configs/trpn_synthetic.py).
_base_ = ['./thumos14_i3d.py']

data_root = 'data/synthetic'
num_train_snippets = 128

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
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
# One video per batch: scores then do not depend on which videos share a
# batch (BLAS paths vary with batch shape), so 1- and N-process evaluation
# agree bit for bit.
val_dataloader = dict(
    batch_size=1,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        data_root=data_root, ambiguous_file=None, pipeline=test_pipeline))
test_dataloader = val_dataloader
