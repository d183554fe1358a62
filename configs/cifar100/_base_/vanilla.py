# Train one CIFAR-100 classifier alone (cross-entropy only): the teachers.
# A per-model config adds model.backbone and sets model.head.in_channels.
_base_ = ['./cifar100_bs64.py', './schedule_240e.py', './default_runtime.py']

model = dict(
    type='ImageClassifier',
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=_base_.num_classes,
        in_channels=64,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)),
    data_preprocessor=_base_.data_preprocessor)
