# Train the ResNet-50 teacher on CIFAR-100 with cross-entropy only.
# Published top-1 to reproduce: 79.34 %, from the CRD README,
# github.com/HobbitLong/RepDistiller, benchmark tables.
_base_ = ['../_base_/vanilla.py']

model = dict(
    backbone=dict(type='CifarBottleneckResNet', depth=50),
    head=dict(in_channels=2048))
