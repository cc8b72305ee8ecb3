# The T-RPN proposal stage (TemporalProposalStage, docs/method.md) with
# every setting written out, shared by the three detectors' model configs:
# each picks its `source` (Table 4's switch) and any one key can be
# overridden alone, e.g. --cfg-options model.proposal_stage.rpn_head.hidden=128.
trpn_stage = dict(
    type='TemporalProposalStage',
    # 'trpn_pl' (T-RPN*, with PLG) | 'trpn' | 'none' | 'gt' (oracle at
    # training and test) | 'gt_train' (oracle at training only)
    source='trpn_pl',
    # train_mask_bias=0 is the paper's sampler (Eq. 3)
    rpn_head=dict(type='TRPNHead', hidden=512, dropout=0.5, tau=0.1,
                  noise='gumbel', infer_threshold=0.5, train_mask_bias=0.0,
                  eps=1e-6),
    # Eq. 8-10 read as a weighted Bernoulli KL (method.md section 5)
    loss_pseudo_label=dict(type='PseudoLabelLoss', form='bernoulli',
                           sigma=2, tau=1.0, target_rescale='none',
                           use_weights=True, eps=1e-6),
    loss_mutual=dict(type='MutualLearningLoss', alpha=(0.9, 0.1)),
    loss_norm=dict(type='ForegroundNormLoss'),
    # lambda2 = 0.8 (kl), lambda1 = 1 (ml); norm is an option (0 = off)
    loss_weights=dict(kl=0.8, ml=1.0, norm=0.0),
    empty_mask='skip',
    # what the masked branch's loss teaches the classifier's parameters
    # (the T-RPN and the features always get its full gradient): 'full'
    # (the paper) | 'none' | 'scaled' | 'ramp' | 'coverage' (docs/method.md)
    classifier_grad='full',
    classifier_grad_scale=0.5,
    classifier_grad_ramp_iters=300,
    classifier_grad_coverage=(0.6, 0.8))
