_base_ = ['./adam_5k.py']
# ActivityNet-1.2 has ~24x more training videos than THUMOS-14.
train_cfg = dict(max_iters=20000, val_interval=2000)
