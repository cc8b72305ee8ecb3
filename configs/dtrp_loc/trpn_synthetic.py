# The README main job: DTRP-Loc on the built-in synthetic data with the
# deviations of the headline configs (trpn_thumos.py, docs/method.md): the
# norm term and the coverage-gated classifier gradient of the masked branch.
# The paper read literally is trpn_synthetic_paper.py.
_base_ = ['./trpn_synthetic_paper.py']
model = dict(
    proposal_stage=dict(
        loss_weights=dict(norm=0.8),
        classifier_grad='coverage',
        classifier_grad_coverage=(0.45, 0.65)))
