# Train the VGG-13 teacher on CIFAR-100 with cross-entropy only.
# Published top-1 to reproduce: 74.64 %, from the CRD README,
# github.com/HobbitLong/RepDistiller, benchmark tables.
_base_ = ['../_base_/vanilla.py']

model = dict(
    backbone=dict(type='CifarVGG', depth=13),
    head=dict(in_channels=512))
