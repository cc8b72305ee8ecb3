# CO2-Net on ActivityNet-1.2 (public ANT_CO2): k = T // 5, logits and
# attentions average-pooled over time (kernel (60 // 5) // 2 * 2 + 1 = 13),
# T = 60, batch 10, Adam lr 3e-5, weight decay 5e-4, 22000 iterations.
_base_ = [
    '../_base_/models/co2net.py', '../_base_/datasets/anet12_i3d.py',
    '../_base_/schedules/adam_20k.py', '../_base_/default_runtime.py'
]
# Stated once: class count and widths reach the model and the datasets.
num_classes = 100
feature_dims = (1024, 1024)  # (D_rgb, D_flow)
model = dict(
    num_classes=num_classes,
    feature_dims=feature_dims,
    loss_mil=dict(ratio=5),
    smooth_kernel=13)
train_dataloader = dict(
    batch_size=10, dataset=dict(feature_dims=feature_dims))
val_dataloader = dict(dataset=dict(feature_dims=feature_dims))
test_dataloader = val_dataloader
optim_wrapper = dict(optimizer=dict(type='Adam', lr=3e-5, weight_decay=5e-4))
train_cfg = dict(max_iters=22000, val_interval=2000)
auto_scale_lr = dict(enable=False, base_batch_size=10)
default_hooks = dict(checkpoint=dict(interval=2000))
