# Vanilla KD on ImageNet: ResNet-34 teacher, ResNet-18 student, with the KD
# settings of mdistiller configs/imagenet/r34_r18/kd.yaml: CE 0.5 + KD 0.5,
# T=1. Train the teacher first with resnet34_imagenet.py.
# Published top-1 (%) to reproduce:
#   vanilla KD 71.03, from the DKD README, github.com/megvii-research/
#     mdistiller; teacher 73.62 (see resnet34_imagenet.py).
#   KD + RLKD: not found, because the result tables of RLKD (arXiv
#     2407.00115) could not be opened.
_base_ = [
    './_base_/resnet_classifier.py', './_base_/imagenet_bs64.py',
    './_base_/schedule_100e.py', '../cifar100/_base_/default_runtime.py'
]

# The classifier of resnet_classifier.py becomes the student.
model = dict(
    _delete_=True,
    type='RLKDClassifierDistiller',
    student=dict(_base_.model, data_preprocessor=_base_.data_preprocessor),
    teacher_config='{{fileDirname}}/resnet34_imagenet.py',
    teacher_ckpt='work_dirs/resnet34_imagenet/epoch_100.pth',
    temperature_source=dict(type='FixedTemperature', temperature=1.0),
    ce_weight=0.5,
    kd_weight=0.5,
    kd_loss='kd')
default_hooks = dict(checkpoint=dict(interval=10))
