# Table 4, ASM-Loc (final refinement step; steps 0-2 are shared by the four
# sources), 'T-RPN*': T-RPN also trained with pseudo labels from the
# detector's foreground attention.
_base_ = ['../asm_loc/asm_loc_thumos.py']
model = dict(
    proposal_stage=dict(type='TemporalProposalStage', source='trpn_pl'),
    test_cfg=dict(fg_source='proposal'))
