# Student of the digits demo trained alone (no KD): a ResNet-8 with half the
# CIFAR widths (8, 16 and 32 channels, about 20k parameters).
_base_ = ['./_base_/digits_cls.py', './_base_/schedule.py']

student_model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='CifarResNet',
        depth=8,
        stem_channels=8,
        stage_channels=(8, 16, 32)),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=_base_.num_classes,
        in_channels=32,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)),
    data_preprocessor=_base_.data_preprocessor)
model = student_model
