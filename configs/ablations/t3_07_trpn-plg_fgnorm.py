# Table 3, row 7: T-RPN + PLG (pseudo labels teach the T-RPN).
# With the foreground-norm term (deviation, docs/method.md):
# loss_norm = 0.8 x mean FSS_trpn, CO2-Net's counter-weight.
_base_ = ['./t3_07_trpn-plg.py']
model = dict(proposal_stage=dict(loss_weights=dict(norm=0.8)))
