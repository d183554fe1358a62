# Train the ResNet-34 teacher on ImageNet with cross-entropy only.
# Published top-1 to reproduce: 73.62 %, the ResNet-34 teacher of mmrazor's
# RKD results table (github.com/open-mmlab/mmrazor,
# configs/distill/mmcls/rkd).
_base_ = [
    './_base_/resnet_classifier.py', './_base_/imagenet_bs64.py',
    './_base_/schedule_100e.py', '../cifar100/_base_/default_runtime.py'
]

model = dict(
    backbone=dict(depth=34), data_preprocessor=_base_.data_preprocessor)
default_hooks = dict(checkpoint=dict(interval=10))
