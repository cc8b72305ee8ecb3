# Table 3, row 10: full DTRP-Loc (DMF + T-RPN + ACoL + PLG).
# With the foreground-norm term (deviation, docs/method.md):
# loss_norm = 0.8 x mean FSS_trpn, CO2-Net's counter-weight.
_base_ = ['./t3_10_dmf-trpn-acol-plg.py']
model = dict(proposal_stage=dict(loss_weights=dict(norm=0.8)))
