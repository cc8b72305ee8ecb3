# Training-only oracle for ASM-Loc (final refinement step; not a Table 4
# row): ground-truth proposals at training, none at test (its own
# foreground attention is the curve).
_base_ = ['../asm_loc/asm_loc_thumos.py']
model = dict(
    proposal_stage=dict(type='TemporalProposalStage', source='gt_train'))
