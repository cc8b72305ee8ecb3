# ASM-Loc on THUMOS-14, step 0: the base model, trained 100 epochs
# (200 videos / batch 16 -> 1300 iterations) with T = 750 sampled snippets,
# Adam lr 1e-4, weight decay 5e-5. After training, PseudoSegmentExportHook
# writes <work_dir>/pseudo_segments.json for step 1.
_base_ = [
    '../_base_/models/asm_loc.py', '../_base_/datasets/thumos14_i3d.py',
    '../_base_/schedules/adam_5k.py', '../_base_/default_runtime.py'
]
# class count and feature widths: the dataset's (_base_/datasets/)
model = dict(
    num_classes=_base_.num_classes,
    feature_dims=_base_.feature_dims,
    refine_step=0)
num_train_snippets = 750
train_pipeline = [
    dict(type='LoadSnippetFeatures'),
    dict(type='SampleSnippets', num_snippets=num_train_snippets),
    dict(type='PackWSTALInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-4, weight_decay=5e-5))
train_cfg = dict(max_iters=1300, val_interval=650)
default_hooks = dict(checkpoint=dict(interval=650))
custom_hooks = [
    dict(type='RandomStateHook'),
    dict(type='PseudoSegmentExportHook', out_file='pseudo_segments.json'),
]
