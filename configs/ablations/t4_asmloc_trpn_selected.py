# Table 4, ASM-Loc, 'T-RPN' with the stage selected for DTRP-Loc's default
# (docs/method.md): the norm term and the coverage-gated classifier
# gradient of the masked branch.
_base_ = ['./t4_asmloc_trpn.py']
model = dict(
    proposal_stage=dict(
        loss_weights=dict(norm=0.8),
        classifier_grad='coverage',
        classifier_grad_coverage=(0.45, 0.65)))
