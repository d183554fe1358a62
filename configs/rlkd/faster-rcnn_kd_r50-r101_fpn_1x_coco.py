# Faster R-CNN R-101 teacher -> R-50 student on MS-COCO 2017, 1x schedule,
# with KD on the RoI classification logits at a fixed temperature.
#
# Data: the standard layout under data/coco/ (annotations/instances_{train,
# val}2017.json, train2017/, val2017/). The teacher checkpoint below and the
# torchvision R-50 weights are downloaded on first use (network access).
#
# Published COCO val2017 box AP of the two detectors alone, from mmdet's
# model zoo (configs/faster_rcnn/metafile.yml of mmdet 3.3.0):
#   teacher Faster R-CNN R-101-FPN 1x: 39.4
#   student Faster R-CNN R-50-FPN 1x:  37.4
# Student with logit KD on this pair: not found in the sources searched
# (the detection tables of the DKD and CTKD papers were not available).
# For scale only, a different, feature-based method: DeFeat reports
# R-50 Faster R-CNN 37.4 -> 40.9 (abstract of Guo et al., CVPR 2021,
# "Distilling Object Detectors via Decoupled Features").
#
# T=1 follows the temperature of mdistiller's COCO detection code
# (detection/model/config.py, KD.DKD.T = 1.0); it is not tuned here.
_base_ = 'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py'

custom_imports = dict(
    imports=['rlkd_mmdet.models', 'rlkd_mmdet.engine'],
    allow_failed_imports=False)

teacher_config = 'mmdet::faster_rcnn/faster-rcnn_r101_fpn_1x_coco.py'
teacher_ckpt = 'https://download.openmmlab.com/mmdetection/v2.0/faster_rcnn/faster_rcnn_r101_fpn_1x_coco/faster_rcnn_r101_fpn_1x_coco_20200130-f513f705.pth'  # noqa: E501

model = dict(
    type='RLKDTwoStageDetector',
    teacher_config=teacher_config,
    teacher_ckpt=teacher_ckpt,
    temperature_source=dict(type='FixedTemperature', temperature=1.0),
    loss_kd_roi=dict(
        type='InstanceKDLoss',
        mode='softmax',
        class_reduction='sum',
        loss_weight=1.0),
    # Background RoIs are distilled too; their agent state uses the
    # background probability. False distils the positive RoIs only.
    distill_background=True,
    roi_head=dict(type='RLKDStandardRoIHead'))
