# Train the ResNet-32x4 teacher on CIFAR-100 with cross-entropy only.
# Published top-1 to reproduce: 79.42 %, from the CRD README,
# github.com/HobbitLong/RepDistiller, benchmark tables.
_base_ = ['../_base_/vanilla.py']

model = dict(
    backbone=dict(type='CifarResNetX4', depth=32),
    head=dict(in_channels=256))
