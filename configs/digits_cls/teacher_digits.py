# Teacher of the digits demo: a ResNet-14 of the CIFAR family (16, 32 and
# 64 channels, about 175k parameters), trained with cross-entropy only.
_base_ = ['./_base_/digits_cls.py', './_base_/schedule.py']

model = dict(
    type='ImageClassifier',
    backbone=dict(type='CifarResNet', depth=14),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=_base_.num_classes,
        in_channels=64,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)),
    data_preprocessor=_base_.data_preprocessor)
