# Train the ResNet-56 teacher on CIFAR-100 with cross-entropy only.
# Published top-1 to reproduce: 72.34 %, from the CRD README,
# github.com/HobbitLong/RepDistiller, benchmark tables.
_base_ = ['../_base_/vanilla.py']

model = dict(
    backbone=dict(type='CifarResNet', depth=56),
    head=dict(in_channels=64))
