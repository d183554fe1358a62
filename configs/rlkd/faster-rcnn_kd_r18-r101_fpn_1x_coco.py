# Faster R-CNN R-101 teacher -> R-18 student on MS-COCO 2017, 1x schedule,
# with KD on the RoI classification logits at a fixed temperature. Same
# recipe as faster-rcnn_kd_r50-r101_fpn_1x_coco.py with an R-18 backbone.
#
# Published COCO val2017 box AP, from mmdet's model zoo
# (configs/faster_rcnn/metafile.yml of mmdet 3.3.0):
#   teacher Faster R-CNN R-101-FPN 1x: 39.4
#   student Faster R-CNN R-18-FPN 1x: not in mmdet's zoo (it lists R-18
#   only with the 200-epoch LSJ schedule).
# Student with logit KD on this pair: not found in the sources searched
# (the detection tables of the DKD and CTKD papers were not available).
_base_ = './faster-rcnn_kd_r50-r101_fpn_1x_coco.py'

model = dict(
    backbone=dict(
        depth=18,
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet18')),
    neck=dict(in_channels=[64, 128, 256, 512]))
