# Vanilla KD: ResNet-110 teacher, ResNet-32 student, CE 0.1 + KD 0.9, T=4.
# Train the teacher first with ../teachers/resnet110_cifar100.py.
# Published top-1 (%) of ResNet-110 -> ResNet-32 on CIFAR-100, the target to
# reproduce:
#   teacher 74.31, student alone 71.14, vanilla KD 73.08, from the CRD README,
#     github.com/HobbitLong/RepDistiller, benchmark tables.
#   KD + RLKD: not found, because the result tables of RLKD (arXiv 2407.00115)
#     could not be opened.
_base_ = ['../_base_/kd.py']

model = dict(
    teacher_config='{{fileDirname}}/../teachers/resnet110_cifar100.py',
    teacher_ckpt='work_dirs/resnet110_cifar100/epoch_240.pth',
    student=dict(
        backbone=dict(type='CifarResNet', depth=32),
        head=dict(in_channels=64)))
