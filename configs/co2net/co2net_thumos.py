# CO2-Net on THUMOS-14 with the public run script's settings: T = 500
# sampled snippets, batch 10 drawn as the public code draws it (3 pairs of
# videos sharing a class, then 4 random videos; the co-activity loss
# compares those 3 pairs), Adam lr 5e-5, weight decay 1e-3, 5000
# iterations, constant rate. README: the differences left, and the
# held-out measurement of the batches.
_base_ = [
    '../_base_/models/co2net.py', '../_base_/datasets/thumos14_i3d.py',
    '../_base_/schedules/adam_5k.py', '../_base_/default_runtime.py'
]
# class count and feature widths: the dataset's (_base_/datasets/)
model = dict(
    num_classes=_base_.num_classes, feature_dims=_base_.feature_dims,
    loss_co_activity=dict(num_pairs=3))
num_train_snippets = 500
train_pipeline = [
    dict(type='LoadSnippetFeatures'),
    dict(type='SampleSnippets', num_snippets=num_train_snippets),
    dict(type='PackWSTALInputs'),
]
train_dataloader = dict(
    batch_size=10,
    batch_sampler=dict(type='ClassPairBatchSampler', num_pairs=3),
    dataset=dict(pipeline=train_pipeline))
optim_wrapper = dict(optimizer=dict(type='Adam', lr=5e-5, weight_decay=1e-3))
train_cfg = dict(max_iters=5000, val_interval=500)
auto_scale_lr = dict(enable=False, base_batch_size=10)
