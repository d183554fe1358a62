# Vanilla KD: ResNet-32x4 teacher, ResNet-8x4 student, CE 0.1 + KD 0.9, T=4.
# Train the teacher first with ../teachers/resnet32x4_cifar100.py.
# Published top-1 (%) of ResNet-32x4 -> ResNet-8x4 on CIFAR-100, the target to
# reproduce:
#   teacher 79.42, student alone 72.50, vanilla KD 73.33, from the CRD README,
#     github.com/HobbitLong/RepDistiller, benchmark tables.
#   KD + RLKD: not found, because the result tables of RLKD (arXiv 2407.00115)
#     could not be opened.
_base_ = ['../_base_/kd.py']

model = dict(
    teacher_config='{{fileDirname}}/../teachers/resnet32x4_cifar100.py',
    teacher_ckpt='work_dirs/resnet32x4_cifar100/epoch_240.pth',
    student=dict(
        backbone=dict(type='CifarResNetX4', depth=8),
        head=dict(in_channels=256)))
