# faster-rcnn_kd_r18-r101_fpn_1x_coco.py with the fixed temperature
# replaced by RLKD's per-RoI temperature (published baselines: see there).
_base_ = './faster-rcnn_kd-rlkd_r50-r101_fpn_1x_coco.py'

model = dict(
    backbone=dict(
        depth=18,
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet18')),
    neck=dict(in_channels=[64, 128, 256, 512]))
