# Table 4, ASM-Loc, 'T-RPN*' with the T-RPN reading the embedded features
# before ASM-Loc's whole-snippet dropout (model.rpn_input, docs/method.md).
_base_ = ['./t4_asmloc_trpn-pl.py']
model = dict(rpn_input='embedded')
