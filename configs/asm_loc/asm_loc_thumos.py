# ASM-Loc on THUMOS-14, refinement step 3 of 3: a fresh full model
# (intra-/inter-segment attention, uncertainty, pseudo-instance loss) on
# the pseudo segments of step 2, with dynamic segment sampling
# (alpha 0.7, gamma 6, delta 0.5). Train step 2 first (its default
# work_dir holds the segment file) or override segment_file.
_base_ = ['./asm_loc_thumos_step2.py']
segment_file = 'work_dirs/asm_loc_thumos_step2/pseudo_segments.json'
model = dict(refine_step=3)
# step 1's pipelines reading this step's segment_file
train_pipeline = [
    dict(t, segment_file=segment_file)
    if t['type'] == 'LoadPseudoSegments' else t
    for t in _base_.train_pipeline
]
test_pipeline = [
    dict(t, segment_file=segment_file)
    if t['type'] == 'LoadPseudoSegments' else t
    for t in _base_.test_pipeline
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
# the last step: 500 epochs (6500 iterations), no pseudo segments to write
train_cfg = dict(max_iters=6500, val_interval=650)
custom_hooks = [dict(type='RandomStateHook')]
