# Vanilla KD: ResNet-56 teacher, ResNet-20 student, CE 0.1 + KD 0.9, T=4. Train
# the teacher first with ../teachers/resnet56_cifar100.py.
# Published top-1 (%) of ResNet-56 -> ResNet-20 on CIFAR-100, the target to
# reproduce:
#   teacher 72.34, student alone 69.06, vanilla KD 70.66, from the CRD README,
#     github.com/HobbitLong/RepDistiller, benchmark tables.
#   KD + RLKD: not found, because the result tables of RLKD (arXiv 2407.00115)
#     could not be opened.
_base_ = ['../_base_/kd.py']

model = dict(
    teacher_config='{{fileDirname}}/../teachers/resnet56_cifar100.py',
    teacher_ckpt='work_dirs/resnet56_cifar100/epoch_240.pth',
    student=dict(
        backbone=dict(type='CifarResNet', depth=20),
        head=dict(in_channels=64)))
