# Table 4, 'T-RPN*' with the foreground-norm term (deviation, docs/method.md).
_base_ = ['./t4_dtrploc_trpn-pl.py']
model = dict(proposal_stage=dict(loss_weights=dict(norm=0.8)))
