# Teacher of the demo: a wider GFL trained from scratch on the digits data.
_base_ = [
    '_base_/gfl_tiny.py', '_base_/digits_coco_detection.py',
    '_base_/demo_schedule.py'
]
model = dict(
    backbone=dict(base_channels=32),
    neck=dict(in_channels=[32, 64, 128]))
