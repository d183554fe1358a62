# Train the WRN-40-2 teacher on CIFAR-100 with cross-entropy only.
# Published top-1 to reproduce: 75.61 %, from the CRD README,
# github.com/HobbitLong/RepDistiller, benchmark tables.
_base_ = ['../_base_/vanilla.py']

model = dict(
    backbone=dict(type='CifarWRN', depth=40, widen_factor=2),
    head=dict(in_channels=128))
