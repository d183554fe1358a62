# Student of the demo trained alone (no KD): the baseline. A quarter of the
# teacher's backbone width and half of its head width.
_base_ = [
    '_base_/gfl_tiny.py', '_base_/digits_coco_detection.py',
    '_base_/demo_schedule.py'
]
model = dict(
    backbone=dict(base_channels=8),
    neck=dict(in_channels=[8, 16, 32], out_channels=32),
    bbox_head=dict(in_channels=32, feat_channels=32))
