# Table 4, ASM-Loc, 'T-RPN*' with the selected stage (norm term + coverage
# gate) and the remedy of t4_asmloc_trpn-pl_pooled.py: the masked branch
# classifies the embedded features before the snippet dropout, and the mask
# enters only its pooling (proposal_stage.mask_features=False).
_base_ = ['./t4_asmloc_trpn-pl_selected.py']
model = dict(masked_input='embedded',
             proposal_stage=dict(mask_features=False))
