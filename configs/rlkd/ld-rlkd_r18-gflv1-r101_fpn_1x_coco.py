# LD (GFL R-101 teacher -> R-18 student) on MS-COCO 2017, with the fixed LD
# temperature replaced by RLKD's per-location temperature.
#
# Data: the standard layout under data/coco/ (annotations/instances_{train,
# val}2017.json, train2017/, val2017/). The teacher checkpoint and the
# torchvision R-18 weights are the ones of mmdet's LD config; they are
# downloaded on first use (this needs network access).
#
# Reference (mmdet 3.x model zoo, configs/ld/README.md): LD R-18 with a
# GFL R-101 teacher reaches 36.5 box AP, GFL R-18 alone 35.8.
_base_ = 'mmdet::ld/ld_r18-gflv1-r101_fpn_1x_coco.py'

custom_imports = dict(
    imports=['rlkd_mmdet.models', 'rlkd_mmdet.engine'],
    allow_failed_imports=False)

model = dict(
    type='RLKDSingleStageDetector',
    # mmdet's LD config gives a path relative to an mmdet checkout; the
    # mmdet:: name works from any folder.
    teacher_config='mmdet::gfl/gfl_r101_fpn_ms-2x_coco.py',
    temperature_source=dict(type='RLKDTemperature', warmup_temperature=10.0),
    bbox_head=dict(
        type='RLKDLDHead',
        loss_ld=dict(_delete_=True, type='InstanceKDLoss', loss_weight=0.25)))

custom_hooks = [
    dict(
        type='RLKDHook',
        # The untrained agent starts at LD's T=10 and can move both ways.
        agent=dict(
            temperature_range=(1.0, 20.0),
            initial_temperature=10.0,
            rollout_batches=16),
        # One epoch at T=10, then agent-training phases of one epoch at
        # epochs 2, 6 and 10; the agent acts at every iteration after
        # warm-up.
        warmup_epochs=1,
        train_interval=4,
        train_epochs=1,
        exploration_phases=1)
]
