# CO2-Net (Hong et al., ACM MM 2021) with its published THUMOS-14 settings:
# cross-modal consensus modules on RGB and flow, fused C+1 classifier,
# top-k MIL (k = T // 7) with and without attention suppression,
# co-activity similarity, RGB/flow mutual learning, attention norm and
# guide losses (alpha1 = alpha2 = 0.8, alpha3 = alpha4 = 1).
# docs/method.md lists every difference from the public code.
_base_ = ['./trpn_stage.py']
model = dict(
    type='CO2Net',
    neck=dict(type='CO2Neck', attention_hidden=512, consensus_dropout=0.5,
              fusion_dropout=0.7),
    cls_head=dict(type='CO2ClassifierHead', hidden=None, dropout=0.7),
    loss_mil=dict(type='TopkSoftmaxMILLoss', ratio=7, background=1.0),
    loss_co_activity=dict(
        type='CoActivitySimilarityLoss', margin=0.5, eps=1e-8),
    loss_mutual=dict(type='MutualLearningLoss', alpha=(0.5, 0.5)),
    loss_norm=dict(type='AttentionNormLoss'),
    loss_guide=dict(type='AttentionGuideLoss'),
    loss_weights=dict(mil_orig=1.0, mil_supp=1.0, co_activity=1.0,
                      mutual=1.0, norm=0.8, guide=0.8),
    smooth_kernel=None,
    # Table 4's switch: 'none' (the detector as published) | 'trpn' |
    # 'trpn_pl' | 'gt' | 'gt_train'; T-RPN settings in trpn_stage.py
    proposal_stage=dict(_base_.trpn_stage, source='none'),
    test_cfg=dict(
        topk_ratio=10,
        fg_source='detector',
        postprocessor=dict(
            type='WSTALPostProcessor',
            class_threshold=0.2,
            oic_margin=0.25,
            oic_video_weight=0.2,
            nms='soft',
            soft_nms_sigma=0.3)),
    data_preprocessor=dict(type='BaseDataPreprocessor'))
