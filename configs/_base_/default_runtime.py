default_scope = 'mmtrpn'

default_hooks = dict(
    runtime_info=dict(type='RuntimeInfoHook'),
    timer=dict(type='IterTimerHook'),
    # Stamp validation scalars with the iteration (not epoch 0) in logs and
    # TensorBoard for iteration-based training.
    logger=dict(
        type='LoggerHook',
        interval=50,
        ignore_last=False,
        log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook',
        by_epoch=False,
        interval=500,
        max_keep_ckpts=3,
        save_best='wstal/mAP_AVG',
        rule='greater'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    sync_buffers=dict(type='SyncBuffersHook'))

# RandomStateHook restores torch's RNG on resume so a resumed run equals an
# uninterrupted one; ModelDatasetCheckHook stops a run whose dataset classes
# or feature widths do not fit the model; ResumeValidationHook runs first
# the validation that a run killed during it owed.
custom_hooks = [
    dict(type='RandomStateHook'),
    dict(type='ModelDatasetCheckHook'),
    dict(type='ResumeValidationHook')
]

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'))

# Works on GPUs (NCCL) and on CPU-only machines (gloo, no device_ids).
# Every parameter of every shipped config gets a gradient in every training
# step (tests/test_configs.py checks it), so DDP need not search the graph
# for unused ones each step (nor warn that it found none). A config with a
# module some steps leave out sets find_unused_parameters=True and says why.
model_wrapper_cfg = dict(
    type='MMTRPNDistributedDataParallel',
    broadcast_buffers=False,
    find_unused_parameters=False)

log_processor = dict(type='LogProcessor', window_size=20, by_epoch=False)

# Scalars go to <work_dir>/<timestamp>/vis_data/scalars.json, which
# tools/analysis/plot_curves.py reads. For TensorBoard add
# dict(type='TensorboardVisBackend') (needs requirements/optional.txt).
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='Visualizer', vis_backends=vis_backends)

log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0, diff_rank_seed=False, deterministic=False)
