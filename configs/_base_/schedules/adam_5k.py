# The paper's optimiser: Adam, lr 1e-4, weight decay 1e-3, constant rate.
# Iteration count is ours (the paper does not state it).
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=1e-4, weight_decay=1e-3))
param_scheduler = []
train_cfg = dict(type='IterBasedTrainLoop', max_iters=5000, val_interval=500)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
# The paper trains with batch 16 on 1 GPU; `--auto-scale-lr` rescales.
auto_scale_lr = dict(enable=False, base_batch_size=16)
