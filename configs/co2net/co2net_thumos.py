# CO2-Net on THUMOS-14 with the public run script's settings: T = 500
# sampled snippets, batch 10, Adam lr 5e-5, weight decay 1e-3, 5000
# iterations, constant rate.
_base_ = [
    '../_base_/models/co2net.py', '../_base_/datasets/thumos14_i3d.py',
    '../_base_/schedules/adam_5k.py', '../_base_/default_runtime.py'
]
feature_dims = (1024, 1024)
num_train_snippets = 500
model = dict(num_classes=20, feature_dims=feature_dims)
train_pipeline = [
    dict(type='LoadSnippetFeatures', rgb_dim=feature_dims[0],
         flow_dim=feature_dims[1]),
    dict(type='SampleSnippets', num_snippets=num_train_snippets),
    dict(type='PackWSTALInputs'),
]
train_dataloader = dict(batch_size=10, dataset=dict(pipeline=train_pipeline))
optim_wrapper = dict(optimizer=dict(type='Adam', lr=5e-5, weight_decay=1e-3))
train_cfg = dict(max_iters=5000, val_interval=500)
auto_scale_lr = dict(enable=False, base_batch_size=10)
