# ASM-Loc (He et al., CVPR 2022), base model (step 0) with its published
# THUMOS-14 settings; refinement steps set refine_step >= 1 and load the
# previous step's pseudo segments (configs/asm_loc/).
# docs/method.md lists every difference from the public code.
_base_ = ['./trpn_stage.py']
model = dict(
    type='ASMLoc',
    refine_step=0,
    num_heads=8,
    dropout=0.7,
    regularize=False,
    fg_topk_ratio=8,
    bg_topk_ratio=3,
    loss_mil=dict(type='ASMLocMILLoss', lamb_fg=1.0, lamb_bg=0.5,
                  lamb_abg=0.5),
    loss_pseudo_instance=dict(type='UncertaintyPseudoInstanceLoss',
                              beta=0.2),
    # Table 4's switch: 'none' (the detector as published) | 'trpn' |
    # 'trpn_pl' | 'gt' | 'gt_train'; T-RPN settings in trpn_stage.py
    proposal_stage=dict(_base_.trpn_stage, source='none'),
    # what the T-RPN reads and the masked branch classifies at training:
    # 'dropped' (after ASM-Loc's snippet dropout) | 'embedded' (before)
    rpn_input='dropped',
    masked_input='dropped',
    test_cfg=dict(
        fg_source='detector',
        # ASM-Loc's attention-threshold proposals: 0.1 ... 0.9 step 0.025,
        # OIC margin 0.2 without the video-score term, hard NMS at 0.45
        postprocessor=dict(
            type='WSTALPostProcessor',
            class_threshold=0.25,
            fg_thresholds=[round(0.1 + 0.025 * i, 4) for i in range(33)],
            oic_margin=0.2,
            oic_video_weight=0.0,
            nms='hard',
            nms_iou=0.45)),
    data_preprocessor=dict(type='BaseDataPreprocessor'))
