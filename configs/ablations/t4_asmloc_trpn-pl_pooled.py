# Table 4, ASM-Loc, 'T-RPN*' with the masked branch classifying the
# embedded features before ASM-Loc's whole-snippet dropout and the mask
# entering only its pooling (model.masked_input,
# proposal_stage.mask_features; docs/method.md): every snippet's gradient
# into the mask then comes from its own prediction, not from the
# classifier's guess for a zeroed snippet.
_base_ = ['./t4_asmloc_trpn-pl.py']
model = dict(masked_input='embedded',
             proposal_stage=dict(mask_features=False))
