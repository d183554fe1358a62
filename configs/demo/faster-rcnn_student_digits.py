# Student of the two-stage demo trained alone (no KD): the baseline. A
# quarter of the teacher's backbone width and half of its neck and head
# width.
_base_ = [
    '_base_/faster_rcnn_tiny.py', '_base_/digits_coco_detection.py',
    '_base_/demo_schedule.py'
]
model = dict(
    backbone=dict(base_channels=8),
    neck=dict(in_channels=[8, 16, 32], out_channels=32),
    rpn_head=dict(in_channels=32, feat_channels=32),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=32),
        bbox_head=dict(in_channels=32)))
