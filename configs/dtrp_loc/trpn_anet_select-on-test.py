# configs/dtrp_loc/trpn_anet.py under the literature's protocol, for comparing with
# published numbers: train on all `training` videos and validate (select the
# best checkpoint, `save_best`) on the `validation` videos that are also
# scored. The default protocol holds 10 % of `training` out for that instead.
_base_ = ['./trpn_anet.py']
train_dataloader = dict(dataset=dict(exclude_videos=[]))
val_dataloader = dict(dataset=dict(subset='validation', include_videos=None))
