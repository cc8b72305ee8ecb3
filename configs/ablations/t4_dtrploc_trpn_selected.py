# Table 4, DTRP-Loc, 'T-RPN' with the stage selected for the default
# (docs/method.md): the norm term and the coverage-gated classifier
# gradient of the masked branch, on the T-RPN trained end to end only.
_base_ = ['./t3_06_dmf-trpn-acol.py']
model = dict(
    proposal_stage=dict(
        loss_weights=dict(norm=0.8),
        classifier_grad='coverage',
        classifier_grad_coverage=(0.45, 0.65)))
