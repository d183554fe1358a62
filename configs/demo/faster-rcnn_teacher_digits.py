# Teacher of the two-stage demo: a wider Faster R-CNN trained from scratch
# on the digits data.
_base_ = [
    '_base_/faster_rcnn_tiny.py', '_base_/digits_coco_detection.py',
    '_base_/demo_schedule.py'
]
model = dict(
    backbone=dict(base_channels=32), neck=dict(in_channels=[32, 64, 128]))
