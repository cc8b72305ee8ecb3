# DTRP-Loc (method.md): DMF neck -> T-RPN -> masked classifier, with the
# ACoL branch and pseudo-label generation (PLG). The ablation configs in
# configs/ablations/ flip the switches of Tables 3 and 4.
model = dict(
    type='DTRPLoc',
    neck=dict(type='DMFNeck', reduction=4, temporal_hidden=512,
              temporal_kernel=3, residual=False),
    proposal_stage=dict(
        type='TemporalProposalStage',
        # 'trpn_pl' (T-RPN*, with PLG) | 'trpn' | 'none' | 'gt' (oracle at
        # training and test) | 'gt_train' (oracle at training only)
        source='trpn_pl',
        # train_mask_bias=0 is the paper's sampler (Eq. 3)
        rpn_head=dict(type='TRPNHead', hidden=512, dropout=0.5, tau=0.1,
                      noise='gumbel', infer_threshold=0.5,
                      train_mask_bias=0.0),
        # Eq. 8-10 read as a weighted Bernoulli KL (method.md section 5)
        loss_pseudo_label=dict(type='PseudoLabelLoss', form='bernoulli',
                               sigma=2, target_rescale='none'),
        loss_mutual=dict(type='MutualLearningLoss', alpha=(0.9, 0.1)),
        # lambda2 = 0.8 (kl), lambda1 = 1 (ml); norm is an option (0 = off)
        loss_weights=dict(kl=0.8, ml=1.0, norm=0.0),
        empty_mask='skip',
        # what the masked branch's loss teaches the classifier's parameters:
        # 'full' (the paper) | 'none' | 'scaled' | 'ramp' | 'coverage'
        classifier_grad='full'),
    cls_head=dict(type='MaskedClassifierHead', hidden=None, dropout=0.7,
                  topk_ratio=8),
    with_acol=True,
    pseudo_label_source='full',
    loss_weights=dict(mil_proposal=1.0, mil_full=1.0),
    test_cfg=dict(
        fg_source='trpn',
        cas_source='full',
        topk_ratio=8,
        postprocessor=dict(
            type='WSTALPostProcessor',
            class_threshold=0.2,
            oic_margin=0.25,
            oic_video_weight=0.2,
            nms='soft',
            soft_nms_sigma=0.3)),
    data_preprocessor=dict(type='BaseDataPreprocessor'))
