# ASM-Loc on THUMOS-14, refinement step 1 of 3: a fresh full model
# (intra-/inter-segment attention, uncertainty, pseudo-instance loss) on
# the pseudo segments of step 0, with dynamic segment sampling
# (alpha 0.7, gamma 6, delta 0.5). Train step 0 first (its default
# work_dir holds the segment file) or override segment_file.
_base_ = ['./asm_loc_thumos_step0.py']
segment_file = 'work_dirs/asm_loc_thumos_step0/pseudo_segments.json'
model = dict(refine_step=1)
# The refinement input of every THUMOS-14 step; steps 2 and 3 take these
# pipelines and swap in their own segment_file.
load_segments = dict(
    type='LoadPseudoSegments',
    segment_file=segment_file,
    delta=0.5,
    max_segments=200)
segment_sampling = dict(
    type='DynamicSegmentSampling', num_snippets=750, alpha=0.7, gamma=6)
train_pipeline = [
    dict(type='LoadSnippetFeatures'),
    dict(load_segments, use_gt_labels=True),
    segment_sampling,
    dict(type='PackWSTALInputs'),
]
test_pipeline = [
    dict(type='LoadSnippetFeatures'),
    dict(load_segments, use_gt_labels=False),
    # at most 750 rows at test, as ASM-Loc (bounds the T x T attention)
    dict(segment_sampling, random=False, only_longer=True),
    dict(type='PackWSTALInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
custom_hooks = [
    dict(type='RandomStateHook'),
    dict(type='PseudoSegmentExportHook', out_file='pseudo_segments.json'),
]
