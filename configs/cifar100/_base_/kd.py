# Vanilla KD on CIFAR-100 (Hinton et al.): 0.1 * CE + 0.9 * T^2 * KL with
# T=4 for every image, the KD settings of mdistiller (engine/cfg.py, the
# DKD authors' code). The KD command of the CRD README uses the same loss
# weights (-r 0.1 -a 0.9). A per-pair config sets the teacher (config and
# checkpoint), model.student.backbone and model.student.head.in_channels.
_base_ = ['./cifar100_bs64.py', './schedule_240e.py', './default_runtime.py']

model = dict(
    type='RLKDClassifierDistiller',
    student=dict(
        type='ImageClassifier',
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=_base_.num_classes,
            in_channels=64),
        data_preprocessor=_base_.data_preprocessor),
    teacher_config=None,
    teacher_ckpt=None,
    temperature_source=dict(type='FixedTemperature', temperature=4.0),
    ce_weight=0.1,
    kd_weight=0.9,
    kd_loss='kd')
