# ASM-Loc on ActivityNet-1.2, step 0: the base model with ASM-Loc's
# ActivityNet settings (extra dropouts, top-k T // 2 and T // 10,
# lambda_fg 5), T = 150, Adam lr 1e-4, weight decay 1e-3, 50 epochs
# (~4800 videos / batch 16 -> 15000 iterations). Writes
# <work_dir>/pseudo_segments.json for step 1.
_base_ = [
    '../_base_/models/asm_loc.py', '../_base_/datasets/anet12_i3d.py',
    '../_base_/schedules/adam_20k.py', '../_base_/default_runtime.py'
]
# class count and feature widths: the dataset's (_base_/datasets/)
model = dict(
    num_classes=_base_.num_classes,
    feature_dims=_base_.feature_dims,
    refine_step=0,
    regularize=True,
    fg_topk_ratio=2,
    bg_topk_ratio=10,
    loss_mil=dict(lamb_fg=5.0, lamb_bg=0.5, lamb_abg=0.5),
    test_cfg=dict(postprocessor=dict(class_threshold=0.1, nms_iou=0.9)))
train_pipeline = [
    dict(type='LoadSnippetFeatures'),
    dict(type='SampleSnippets', num_snippets=150),
    dict(type='PackWSTALInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-4, weight_decay=1e-3))
train_cfg = dict(max_iters=15000, val_interval=5000)
default_hooks = dict(checkpoint=dict(interval=5000))
custom_hooks = [
    dict(type='RandomStateHook'),
    dict(type='PseudoSegmentExportHook', out_file='pseudo_segments.json',
         postprocessor=dict(
             type='WSTALPostProcessor', class_threshold=0.1,
             fg_thresholds=[round(0.4 + 0.025 * i, 4) for i in range(21)],
             oic_margin=0.2, oic_video_weight=0.0, nms='hard', nms_iou=0.9,
             max_per_video=None)),
]
