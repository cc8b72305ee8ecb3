# configs/dtrp_loc/trpn_thumos.py under the literature's protocol, for comparing with
# published numbers: train on all 200 validation videos and validate (select
# the best checkpoint, `save_best`) on the test videos that are also scored.
# The default protocol holds 40 training videos out for that instead.
_base_ = ['./trpn_thumos.py']
train_dataloader = dict(dataset=dict(exclude_videos=[]))
val_dataloader = dict(
    dataset=dict(
        subset='test',
        include_videos=None,
        ambiguous_file='Ambiguous_test.txt'))
