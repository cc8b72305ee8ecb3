# Table 4, ASM-Loc (final refinement step; steps 0-2 are shared by the four
# sources), 'T-RPN': proposals from a T-RPN trained end to end only.
_base_ = ['../asm_loc/asm_loc_thumos.py']
model = dict(
    proposal_stage=dict(type='TemporalProposalStage', source='trpn'),
    test_cfg=dict(fg_source='proposal'))
