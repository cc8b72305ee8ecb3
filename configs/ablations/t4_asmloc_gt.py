# Table 4, ASM-Loc (final refinement step; steps 0-2 are shared by the four
# sources), 'GT Label': ground-truth proposals at training and test (upper
# bound).
_base_ = ['../asm_loc/asm_loc_thumos.py']
model = dict(
    proposal_stage=dict(type='TemporalProposalStage', source='gt'),
    test_cfg=dict(fg_source='proposal'))
