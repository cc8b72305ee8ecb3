# Table 4, ASM-Loc, 'T-RPN*' with the T-RPN reading, and the masked branch
# classifying, the embedded features before ASM-Loc's whole-snippet dropout
# (model.rpn_input, model.masked_input; docs/method.md).
_base_ = ['./t4_asmloc_trpn-pl.py']
model = dict(rpn_input='embedded', masked_input='embedded')
