# Table 4, ASM-Loc (final refinement step; steps 0-2 are shared by the four
# sources), 'w/o Proposal': the detector as published.
_base_ = ['../asm_loc/asm_loc_thumos.py']
model = dict(
    proposal_stage=dict(type='TemporalProposalStage', source='none'),
    test_cfg=dict(fg_source='detector'))
