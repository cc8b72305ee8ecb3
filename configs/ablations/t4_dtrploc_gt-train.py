# Training-only oracle (not a Table 4 row): ground-truth proposals at
# training, none at test (the T-CAS and foreground come from the classifier).
_base_ = ['../dtrp_loc/trpn_thumos_paper.py']
model = dict(proposal_stage=dict(source='gt_train'))
