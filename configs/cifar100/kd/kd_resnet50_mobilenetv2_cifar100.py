# Vanilla KD: ResNet-50 teacher, MobileNetV2 student, CE 0.1 + KD 0.9, T=4.
# Train the teacher first with ../teachers/resnet50_cifar100.py.
# Published top-1 (%) of ResNet-50 -> MobileNetV2 on CIFAR-100, the target to
# reproduce:
#   teacher 79.34, student alone 64.60, vanilla KD 67.35, from the CRD README,
#     github.com/HobbitLong/RepDistiller, benchmark tables.
#   KD + RLKD: not found, because the result tables of RLKD (arXiv 2407.00115)
#     could not be opened.
_base_ = ['../_base_/kd.py']

model = dict(
    teacher_config='{{fileDirname}}/../teachers/resnet50_cifar100.py',
    teacher_ckpt='work_dirs/resnet50_cifar100/epoch_240.pth',
    student=dict(
        backbone=dict(type='CifarMobileNetV2'),
        head=dict(in_channels=1280)))

# The CRD and DKD benchmarks train the ShuffleNet and MobileNet students with
# lr 0.01 (mdistiller configs/cifar100/dkd/*.yaml).
optim_wrapper = dict(optimizer=dict(lr=0.01))
