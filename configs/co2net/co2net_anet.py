# CO2-Net on ActivityNet-1.2 (public ANT_CO2): k = T // 5, logits and
# attentions average-pooled over time (kernel (60 // 5) // 2 * 2 + 1 = 13),
# T = 60, batch 10 drawn as the public code draws it (3 same-class pairs +
# 4 random videos, co-activity over those pairs), Adam lr 3e-5, weight
# decay 5e-4, 22000 iterations.
_base_ = [
    '../_base_/models/co2net.py', '../_base_/datasets/anet12_i3d.py',
    '../_base_/schedules/adam_20k.py', '../_base_/default_runtime.py'
]
# class count and feature widths: the dataset's (_base_/datasets/)
model = dict(
    num_classes=_base_.num_classes,
    feature_dims=_base_.feature_dims,
    loss_mil=dict(ratio=5),
    loss_co_activity=dict(num_pairs=3),
    smooth_kernel=13)
train_dataloader = dict(
    batch_size=10,
    batch_sampler=dict(type='ClassPairBatchSampler', num_pairs=3))
optim_wrapper = dict(optimizer=dict(type='Adam', lr=3e-5, weight_decay=5e-4))
train_cfg = dict(max_iters=22000, val_interval=2000)
auto_scale_lr = dict(enable=False, base_batch_size=10)
default_hooks = dict(checkpoint=dict(interval=2000))
