# DTRP-Loc (method.md): DMF neck -> T-RPN -> masked classifier, with the
# ACoL branch and pseudo-label generation (PLG). The ablation configs in
# configs/ablations/ flip the switches of Tables 3 and 4.
_base_ = ['./trpn_stage.py']
model = dict(
    type='DTRPLoc',
    neck=dict(type='DMFNeck', reduction=4, temporal_hidden=512,
              temporal_kernel=3, residual=False),
    # the T-RPN stage of _base_/models/trpn_stage.py, as the paper: T-RPN*
    proposal_stage=dict(_base_.trpn_stage, source='trpn_pl'),
    cls_head=dict(
        type='MaskedClassifierHead',
        hidden=None,
        dropout=0.7,
        topk_ratio=8),
    with_acol=True,
    # Eq. 7 for the full (ACoL) branch and for the masked branch
    loss_mil=dict(type='BalancedMILLoss', eps=1e-6),
    loss_proposal_mil=dict(type='BalancedMILLoss', eps=1e-6),
    pseudo_label_source='full',
    loss_weights=dict(mil_proposal=1.0, mil_full=1.0),
    # log proposal quality against ground truth (benchmarks only)
    log_gt_diagnostics=False,
    test_cfg=dict(
        fg_source='proposal',
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
