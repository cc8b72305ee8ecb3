# ASM-Loc on ActivityNet-1.2, refinement step 1 of 1 (the final model): a
# fresh full model on the pseudo segments of step 0 with dynamic segment
# sampling (alpha 0.3, gamma 10, delta 0), 50 epochs. Train step 0 first or
# override segment_file.
_base_ = ['./asm_loc_anet_step0.py']
segment_file = 'work_dirs/asm_loc_anet_step0/pseudo_segments.json'
model = dict(refine_step=1)
train_pipeline = [
    dict(type='LoadSnippetFeatures'),
    dict(type='LoadPseudoSegments', segment_file=segment_file,
         use_gt_labels=True, delta=0.0, max_segments=100),
    dict(type='DynamicSegmentSampling', num_snippets=150, alpha=0.3,
         gamma=10),
    dict(type='PackWSTALInputs'),
]
test_pipeline = [
    dict(type='LoadSnippetFeatures'),
    dict(type='LoadPseudoSegments', segment_file=segment_file,
         use_gt_labels=False, delta=0.0, max_segments=100),
    # at most 150 rows at test, as ASM-Loc (bounds the T x T attention)
    dict(type='DynamicSegmentSampling', num_snippets=150, alpha=0.3,
         gamma=10, random=False, only_longer=True),
    dict(type='PackWSTALInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
custom_hooks = [dict(type='RandomStateHook')]
